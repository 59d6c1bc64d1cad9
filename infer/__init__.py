"""chain-ie runtime: schema, text normalisation, model loading, prediction and records."""
