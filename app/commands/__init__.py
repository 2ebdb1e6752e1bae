"""Click commands that the ``ucc`` group registers; each wraps one library call."""
