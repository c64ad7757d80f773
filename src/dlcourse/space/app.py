"""A Gradio app around a fastai learner. On a Hugging Face Space, put this file, requirements.txt and the
learner's export.pkl (from `learn.export()`) in the Space; the Space runs `python app.py`."""

import numpy as np
from fastai.learner import load_learner


def make_app(learn):
    """A Gradio Interface: an upload box (or webcam) in, the three likeliest classes with their
    probabilities out."""
    import gradio as gr  # imported here, so that the rest of this file loads without gradio installed

    classes = list(learn.dls.vocab)

    def classify(image):
        _, _, probabilities = learn.predict(np.asarray(image.convert("RGB")))
        return {name: float(p) for name, p in zip(classes, probabilities, strict=True)}

    return gr.Interface(
        fn=classify,
        inputs=gr.Image(type="pil", label="a photo"),
        outputs=gr.Label(num_top_classes=3, label="the model's answer"),
        title="What is in this photo?",
        flagging_mode="never",
    )


if __name__ == "__main__":
    make_app(load_learner("export.pkl")).launch()
