"""The AI work as plain Python: transcription, fluency, CEFR scoring, hints, plans.

Nothing here imports Flask, the API, the workers or the database: functions take plain
values and return plain values (dataclasses), so they can be tested and benchmarked alone.
"""
