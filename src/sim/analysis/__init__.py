"""From simulated outcomes to answers: estimates, summaries, comparisons, explanations, solves."""
