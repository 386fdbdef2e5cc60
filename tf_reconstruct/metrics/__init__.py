"""Pure functions on score arrays: similarities, thresholds at a FAR, TARs and histograms."""
