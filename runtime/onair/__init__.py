"""On air: the viewer chat and operator API servers, and VMC in and out."""
