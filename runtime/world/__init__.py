"""The World: every host's state as arrays, its stages in one ordered list, and the one tick loop."""
