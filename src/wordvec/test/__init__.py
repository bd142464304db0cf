"""`gensim.test`'s helpers at gensim's path (`wordvec.test.utils`)."""
