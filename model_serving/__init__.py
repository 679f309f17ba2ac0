"""The persona model: labelled data, training, evaluation and the Vertex AI serving container."""
