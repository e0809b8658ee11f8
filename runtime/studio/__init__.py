"""Tools for people: the behaviour report, the gesture lab, plots, the soak, puppet sources."""
