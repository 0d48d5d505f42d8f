"""w2vx: word2vec with nogil Cython training loops behind gensim's Word2Vec API."""
