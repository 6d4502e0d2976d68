"""Evaluation: classify.py judges goals for a day (pure, vectorised); service.py reads goals and
points, runs it off the event loop and stores the results."""
