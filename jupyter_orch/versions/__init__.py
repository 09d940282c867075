"""Pipeline versions: the files a pipeline's steps name, captured by content; what changed
between two versions, in words and as diffs."""
