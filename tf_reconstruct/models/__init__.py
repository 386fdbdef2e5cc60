"""Keras models: generators (mapping + synthesis) and face feature extractors."""
