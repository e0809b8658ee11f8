"""Set files as plain data: cameras, lights, pieces, hosts and products, checked with file:line:col."""
