"""Figures drawn from arrays they are given; nothing here computes results."""
