"""ldax: variational LDA with a nogil multithreaded E-step, and the NVDM-GSM topic model."""
