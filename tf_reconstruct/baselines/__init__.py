"""The paper's comparison methods: the Mapping of Dong et al. (template -> latent) and NbNet (template -> face)."""
