"""`gensim.models.callbacks.CallbackAny2Vec`: a base class whose hooks do nothing (Word2Vec calls the ones a
subclass defines)."""


class CallbackAny2Vec:
    def on_epoch_begin(self, model):
        pass

    def on_epoch_end(self, model):
        pass

    def on_batch_begin(self, model):
        pass

    def on_batch_end(self, model):
        pass

    def on_train_begin(self, model):
        pass

    def on_train_end(self, model):
        pass


__all__ = ["CallbackAny2Vec"]
