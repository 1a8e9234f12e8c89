"""Learning content: courses, chapters, lessons and exercises, attempts, progress, search,
badges and recommendations. Functions take the session and never commit."""
