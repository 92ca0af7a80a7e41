"""S3: LocalStack's own provider, with ETags of encrypted objects as AWS makes them (`etags`)."""
