"""The timeline of neural-network research that the history chapter draws, as data.

Each :class:`Milestone` says when something happened, who did it, why it mattered, and
which entry of ``book/references.bib`` backs it. The two AI winters are periods, with an
``end`` year. The list follows the milestones Dettmers names in "Deep Learning in a
Nutshell: History and Training" (2015), plus the perceptron and the critique that the
chapter's experiments rerun.

Used in: history (the timeline figure).
"""
from __future__ import annotations

from dataclasses import dataclass

from ._validate import one_of

#: the lanes of the timeline figure, bottom to top
THEMES = ("competition", "architecture", "training", "setback")
KINDS = ("milestone", "winter")


@dataclass(frozen=True)
class Milestone:
    """One event (or, for a winter, one period) on the timeline.

    Attributes:
        year: the year it happened, or the first year of a period.
        label: a short name for the figure, e.g. ``"LSTM"``.
        event: what happened, in one sentence.
        people: who did it.
        why: why it mattered for deep learning, in one sentence.
        cite: the ``references.bib`` key(s), comma-separated.
        theme: the lane in the figure, one of :data:`THEMES`.
        kind: ``"milestone"`` or ``"winter"``.
        end: the last year of a period (winters only).
    """

    year: int
    label: str
    event: str
    people: str
    why: str
    cite: str
    theme: str
    kind: str = "milestone"
    end: int | None = None

    @property
    def cite_keys(self) -> list[str]:
        """Return the bib keys of this milestone as a list."""
        return [k.strip() for k in self.cite.split(",") if k.strip()]


MILESTONES: tuple[Milestone, ...] = (
    Milestone(1958, "Perceptron", "Rosenblatt publishes the perceptron and its error-correction rule.",
              "Frank Rosenblatt",
              "The first learning machine with adjustable weights; it learns any linearly separable "
              "classification.", "rosenblatt1958perceptron", "training"),
    Milestone(1965, "GMDH", "Ivakhnenko and Lapa train the first deep multilayer networks: polynomial "
              "units grown layer by layer.", "Alexey Ivakhnenko, Valentin Lapa",
              "Depth without backpropagation: each layer is fitted by least squares and pruned on "
              "held-out data.", "ivakhnenko1965cybernetic, ivakhnenko1971polynomial", "architecture"),
    Milestone(1969, "Perceptrons (book)", "Minsky and Papert analyse what single-layer perceptrons "
              "cannot compute, XOR among them.", "Marvin Minsky, Seymour Papert",
              "Its critique helped turn funding and attention away from neural networks.",
              "minsky1969perceptrons", "setback"),
    Milestone(1970, "Reverse-mode AD", "Linnainmaa's master's thesis gives the modern, efficient form of "
              "backpropagation, with FORTRAN code.", "Seppo Linnainmaa",
              "The gradient of any computation for the cost of a small multiple of one forward pass, "
              "though not yet applied to neural networks.", "linnainmaa1970representation", "training"),
    Milestone(1974, "First AI winter", "Funding for AI research is cut in Britain after the Lighthill "
              "report (1973) and in the United States.", "",
              "Promises had outrun results; AI research became hard to fund and to publish.",
              "lighthill1973artificial, crevier1993ai", "setback", kind="winter", end=1980),
    Milestone(1979, "Neocognitron", "Fukushima's neocognitron stacks convolution-like and pooling "
              "layers (Japanese paper 1979, English 1980).", "Kunihiko Fukushima",
              "The layout of modern convolutional networks, but trained by a local self-organizing "
              "rule, not by gradients.", "fukushima1980neocognitron", "architecture"),
    Milestone(1982, "Werbos", "Werbos applies reverse-mode differentiation to neural networks.",
              "Paul Werbos", "One of the few early uses of backpropagation for neural networks.",
              "werbos1982applications", "training"),
    Milestone(1986, "Backprop", "Rumelhart, Hinton and Williams show that backpropagation learns "
              "useful distributed representations in hidden units (report 1985, Nature 1986).",
              "David Rumelhart, Geoffrey Hinton, Ronald Williams",
              "Made backpropagation the standard way to train networks with hidden layers.",
              "rumelhart1985internal, rumelhart1986learning", "training"),
    Milestone(1987, "Second AI winter", "The market for AI hardware and expert systems collapses and "
              "funding falls again.", "",
              "Neural networks shared the field's bad reputation into the 1990s.", "crevier1993ai",
              "setback", kind="winter", end=1993),
    Milestone(1989, "LeNet", "LeCun and colleagues at Bell Labs train a convolutional network by "
              "backpropagation to read handwritten zip codes.", "Yann LeCun and colleagues",
              "The first practical application of backpropagation; a descendant later read large "
              "numbers of US cheques.", "lecun1989backpropagation, lecun1998gradient", "architecture"),
    Milestone(1992, "Pre-training (RNN)", "Schmidhuber's history compressor pre-trains a stack of "
              "recurrent networks without labels, level by level.", "Jürgen Schmidhuber",
              "The first answer to vanishing gradients: give the early layers useful weights before "
              "supervised training.", "schmidhuber1992learning", "training"),
    Milestone(1995, "SVM", "Cortes and Vapnik introduce the soft-margin support-vector network.",
              "Corinna Cortes, Vladimir Vapnik",
              "A convex, well-understood rival that overshadowed neural networks for a decade.",
              "cortes1995support", "competition"),
    Milestone(1997, "LSTM", "Hochreiter and Schmidhuber introduce long short-term memory.",
              "Sepp Hochreiter, Jürgen Schmidhuber",
              "Gated memory cells carry gradients across long time spans in recurrent networks.",
              "hochreiter1997long", "architecture"),
    Milestone(2006, "Pre-training (deep)", "Hinton and Salakhutdinov pre-train deep autoencoders layer by "
              "layer, then fine-tune them with backpropagation.", "Geoffrey Hinton, Ruslan Salakhutdinov",
              "Showed that deep feedforward networks could be trained, and revived interest in them.",
              "hinton2006reducing", "training"),
    Milestone(2011, "GPU CNNs", "Ciresan and colleagues win character, traffic-sign and medical-imaging "
              "contests with GPU-trained convolutional networks (2011-2012).",
              "Dan Ciresan, Ueli Meier, Jürgen Schmidhuber and colleagues",
              "With fast GPUs, deep convolutional nets needed no pre-training.",
              "ciresan2011flexible, ciresan2012multicolumn", "competition"),
    Milestone(2012, "AlexNet", "Krizhevsky, Sutskever and Hinton win ILSVRC-2012 (ImageNet) with a deep "
              "convolutional net using ReLUs and dropout.", "Alex Krizhevsky, Ilya Sutskever, Geoffrey Hinton",
              "Learned features beat hand-engineered ones by a wide margin; computer vision switched "
              "to deep learning.", "krizhevsky2012imagenet", "competition"),
)


def timeline(kind: str | None = None, start: int | None = None, end: int | None = None) -> list[Milestone]:
    """Return the milestones sorted by year, optionally only one ``kind`` or those within [start, end].

    Args:
        kind: ``None`` for all, or ``"milestone"`` / ``"winter"``.
        start, end: keep entries whose year lies in this range (inclusive); ``None`` = no bound.

    Used in: history (timeline figure and table).
    """
    if kind is not None:
        one_of("kind", kind, KINDS)
    for name, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be a year (int) or None, got {value!r}")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start must be <= end, got start={start} and end={end}")
    rows = [m for m in MILESTONES
            if (kind is None or m.kind == kind)
            and (start is None or m.year >= start)
            and (end is None or m.year <= end)]
    return sorted(rows, key=lambda m: (m.year, m.label))


def winters() -> list[Milestone]:
    """Return the two AI winters as periods (``year`` to ``end``).

    Used in: history.
    """
    return timeline(kind="winter")


def citation_keys() -> list[str]:
    """Return every bib key the timeline cites, without repeats, in timeline order.

    Used in: history (the references), tests (every key is in references.bib).
    """
    keys: list[str] = []
    for m in timeline():
        keys += [k for k in m.cite_keys if k not in keys]
    return keys
