"""Face attribute classifiers (age, gender, ...) from the registries: judges of resemblance, never in an attack."""
