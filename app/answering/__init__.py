"""The answer path: routing a question, reading and composing a sourced answer, and conversations.

``router`` decides which capability answers: its ``cues`` read the question's ``template``, with
the ``entities`` it names. ``answerer`` makes a cited answer in stages: the ``gate`` decides whether
to answer, ``compose`` quotes the sentences (with the ``reader``'s help), ``related`` and
``followups`` add what comes around it, ``vectors`` caches the embeddings; ``answers`` holds the
result it returns and the question check. ``reply`` is the one result every face renders;
``conversations`` resolves follow-ups. The network's data it answers from lives in :mod:`app.network`.
"""
