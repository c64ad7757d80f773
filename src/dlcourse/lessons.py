"""The lessons, declared once: number, slug, title and what each teaches.

The notebook is `lessons/NN_slug.ipynb`, its quiz `quiz/NN_slug.yml` (quiz id "NN"). The site's course
map, the quiz pairing, the benchmarks and the tests read this list. Adding a lesson means adding a
notebook, a quiz file and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    title: str
    summary: str

    @property
    def name(self) -> str:
        return f"{self.number:02d}_{self.slug}"

    @property
    def notebook(self) -> str:
        return f"lessons/{self.name}.ipynb"

    @property
    def quiz(self) -> str:
        return f"{self.number:02d}"

    @property
    def heading(self) -> str:
        """The notebook's first line."""
        return f"# Lesson {self.number} — {self.title}"


LESSONS = [
    Lesson(
        1,
        "convolutions",
        "Convolutions: how a kernel sees an image",
        "Compute a convolution by hand, filter a photo with eight classic kernels, stride and padding, "
        "channels and kernel banks, ReLU.",
    ),
    Lesson(
        2,
        "cnn_training",
        "Your first CNN: transfer learning",
        "Labels from file names, a pretrained model and its new head, fine_tune, pretrained vs scratch "
        "over five seeds, interpretation, predicting, saving and exporting.",
    ),
    Lesson(
        3,
        "lr_finder",
        "The learning-rate finder",
        "fastai's lr_find and the same range test by hand, the four suggestion rules, fine-tuning at the "
        "suggestion and at 10x and 100x it.",
    ),
    Lesson(
        4,
        "one_cycle",
        "One-cycle training",
        "The one-cycle schedule computed and checked against fastai's recorder, one-cycle vs a constant "
        "learning rate over five seeds.",
    ),
    Lesson(
        5,
        "unfreezing",
        "Unfreezing and discriminative learning rates",
        "Frozen and unfrozen parameters, lr_find after unfreezing, the same top rate with and without "
        "discriminative rates, fine_tune step by step.",
    ),
    Lesson(
        6,
        "data_blocks",
        "Data blocks, augmentation and training faster",
        "A DataBlock piece by piece and debugged with summary(), augmentation that suits the images "
        "(measured over five seeds), progressive resizing, mixed precision and the memory of a bigger model.",
    ),
    Lesson(
        7,
        "multi_label",
        "Multi-label classification",
        "Several tags per image: a DataBlock with MultiCategoryBlock, sigmoid and binary cross-entropy by "
        "hand, accuracy_multi and F-beta, the transfer-learning recipe, and a threshold chosen on validation "
        "and checked on held-out halves.",
    ),
    Lesson(
        8,
        "segmentation",
        "Segmentation: a class for every pixel",
        "Masks and codes in CamVid's layout, a mask value outside the codes caught before training, accuracy "
        "without Void against the commonest-class baseline, a U-Net's encoder, decoder and skip connections, "
        "predicted and true masks side by side.",
    ),
    Lesson(
        9,
        "text",
        "Text: from words to a review classifier",
        "Tokens, special tokens and the vocabulary equal to fastai's, a language model's shifted batches, "
        "a pretrained AWD-LSTM fine-tuned on reviews, its encoder reused by a classifier with gradual "
        "unfreezing, and over five seeds what the fine-tuning is worth.",
    ),
    Lesson(
        10,
        "deployment",
        "Put your model on the web",
        "fastai's export and why the label function must be importable, one ONNX file checked against "
        "PyTorch, the model running in your browser, and a Gradio app shared from Colab or a Space.",
    ),
    Lesson(
        11,
        "cnn_from_scratch",
        "A CNN from scratch",
        "Stride-2 convolutions with channels doubling, each layer's output size, 1x1 convolutions, the share "
        "of zero activations a plain CNN ends with, batch normalisation by hand and the higher learning rate "
        "it allows, batch size and the schedule over five seeds.",
    ),
    Lesson(
        12,
        "resnets",
        "ResNets",
        "A deeper plain CNN trains worse, its training loss included; identity paths fix it. The residual "
        "block, a ResNet built by hand and checked against fastai's XResNet, global average pooling, "
        "bottleneck blocks.",
    ),
]


def by_name(name: str) -> Lesson:
    """The lesson of a notebook file name (`02_cnn_training.ipynb`) or name (`02_cnn_training`)."""
    stem = name.removesuffix(".ipynb").rsplit("/", 1)[-1]
    for lesson in LESSONS:
        if lesson.name == stem:
            return lesson
    raise KeyError(f"{name} is not in dlcourse.lessons.LESSONS: add an entry there for a new lesson")
