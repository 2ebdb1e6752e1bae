"""The UserCentriCities assistant: plain-Python capabilities over the index, and its faces."""
