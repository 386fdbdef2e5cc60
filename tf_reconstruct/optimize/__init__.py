"""The paper's optimisation: find w+ whose generated face has a given deep feature."""
