"""Learning records: spaced repetition, streaks, and (with the models) the learning services."""
