"""The answer path: routing a question, reading and composing a sourced answer, and conversations.

``router`` decides which capability answers; ``answers`` composes the extractive answer with the
``reader``'s help; ``reply`` is the one result every face renders; ``conversations`` resolves
follow-ups. The network's data it answers from lives in :mod:`app.network`.
"""
