"""The simulated face-recognition system of the paper's section 2: aligned embeddings, scores, tables."""
