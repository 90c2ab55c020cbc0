"""The lesson's six steps as data: the words (marked for the catalogue, translated where shown), the task,
the hint, the equations and the full page each step opens. The Lesson page (pages/lesson.py) and the
printable handout (mnistapp/handout.py) both read them, so the two always say the same.

Each equation comes twice: LaTeX for the page (st.latex) and HTML for the handout, which a browser
prints without a maths library.
"""
from __future__ import annotations

from typing import NamedTuple

from .catalogue import N_


class Equation(NamedTuple):
    latex: str
    html: str


class Step(NamedTuple):
    title: str
    text: str                        # two or three plain sentences
    task: str
    hint: str
    maths: tuple[Equation, ...]
    maths_note: str                  # one sentence that reads the equations
    page: str                        # the full page that shows more: pages/<page>.py
    query: dict[str, str]            # ...open at this view
    page_label: str


STEPS = (
    Step(N_("Draw a digit it reads"),
         N_("A neural network is one long calculation that turns a picture into ten numbers, one for each digit "
            "from 0 to 9. The biggest number is its answer. Draw a digit in the black box and see what it says."),
         N_("Draw a digit, click the digit you meant, and get the network to read it right."),
         N_("Draw big, in the middle, with clear strokes. If it reads something else, press Clear and try again."),
         (Equation(r"x = (x_1, x_2, \ldots, x_{784})", "<i>x</i> = (<i>x</i><sub>1</sub>, <i>x</i><sub>2</sub>, …, "
                   "<i>x</i><sub>784</sub>)"),
          Equation(r"\hat{y} = \arg\max_k \, y_k", "<i>ŷ</i> = argmax<sub><i>k</i></sub> <i>y</i><sub><i>k</i></sub>")),
         N_("The picture is a list x of 784 numbers; the answer is the digit whose probability y_k is largest."),
         "draw", {}, N_("Open the Draw page")),
    Step(N_("What it sees"),
         N_("The network never sees your drawing as you do. It gets 28 × 28 = 784 grey numbers: your ink is cut "
            "out, shrunk into a 20 × 20 box and moved so that its weight sits in the middle, as in the 70,000 "
            "handwritten digits it learned from. So size and place hardly matter."),
         N_("Draw your digit small and in a corner of the box. Done when the network still reads it right."),
         N_("Draw it in the top left quarter of the box, about as big as your thumb. Then look at the 28 × 28 "
            "picture: it is as big and as centred as before."),
         (Equation(r"x_i = \frac{p_i - 0.1307}{0.3081}, \quad i = 1, \ldots, 784",
                   "<i>x</i><sub>i</sub> = (<i>p</i><sub>i</sub> − 0.1307) / 0.3081, &nbsp; <i>i</i> = 1 … 784"),),
         N_("Each pixel p_i, from 0 (black) to 1 (white), is shifted and scaled the way the training images were."),
         "draw", {"open": "steps"}, N_("See every step of the preprocessing on the Draw page")),
    Step(N_("One hidden unit"),
         N_("The first layer has 512 hidden units. Each one multiplies every pixel by a weight of its own and "
            "adds them up: orange weights like ink in their place, purple weights dislike it. So a unit's "
            "weights are a picture of what it looks for, often a piece of a stroke."),
         N_("Pick a unit whose weights look like a stroke of your digit. Done when you pick one of the units that "
            "push your digit's answer up the most."),
         N_("Look for orange where your digit has ink. A unit whose orange lies where your digit is empty does "
            "not help it."),
         (Equation(r"z_1 = x W_1 + b_1", "<i>z</i><sub>1</sub> = <i>x</i> <i>W</i><sub>1</sub> + <i>b</i><sub>1</sub>"),
          Equation(r"a_1 = \mathrm{ReLU}(z_1) = \max(0, z_1)",
                   "<i>a</i><sub>1</sub> = ReLU(<i>z</i><sub>1</sub>) = max(0, <i>z</i><sub>1</sub>)")),
         N_("W1 has 784 rows and 512 columns: column j holds unit j's weights, the 28 × 28 picture. ReLU keeps "
            "a positive sum and turns a negative one into 0, so a unit is either off or on by some amount."),
         "weights", {"tab": "W1 as images"}, N_("See all 512 units on the Weights page")),
    Step(N_("The vote"),
         N_("Every hidden unit that is on votes for each digit, with a weight of its own. The votes add up to ten "
            "scores, the logits z2. Softmax turns them into chances that add up to 100%: the larger a score, "
            "the larger its chance."),
         N_("Which digit comes second in the vote? Click it. Done when you name the digit with the second "
            "highest score."),
         N_("Read the table of scores under the bars, not only the bars: a small chance can still come second."),
         (Equation(r"z_2 = a_1 W_2 + b_2", "<i>z</i><sub>2</sub> = <i>a</i><sub>1</sub> <i>W</i><sub>2</sub> + "
                   "<i>b</i><sub>2</sub>"),
          Equation(r"y_k = \frac{e^{z_{2,k}}}{\sum_{j=0}^{9} e^{z_{2,j}}}",
                   "<i>y</i><sub>k</sub> = e<sup><i>z</i><sub>2,k</sub></sup> / Σ<sub>j</sub> "
                   "e<sup><i>z</i><sub>2,j</sub></sup>")),
         N_("Unit j adds a1[j] × W2[j, k] to the score of digit k. Softmax makes every score positive and divides "
            "by their sum, so the ten chances add up to 1."),
         "draw", {"open": "why"}, N_("See which pixels and units push the answer on the Draw page")),
    Step(N_("Where it fails"),
         N_("The shipped network reads more than 99 of 100 test digits right, and the ones it gets wrong often make a person hesitate "
            "too. It has only seen digits written upright and centred, so a drawing unlike those fools it "
            "easily."),
         N_("Find a test digit it gets wrong, then make it fail with a drawing of your own."),
         N_("Check the strange, thick or slanted test digits first. For your drawing, turn a digit on its side "
            "or draw it upside down, and click the digit you meant."),
         (Equation(r"L = -\log y_{\mathrm{true}}", "<i>L</i> = −log <i>y</i><sub>true</sub>"),),
         N_("The loss L is small when the network gives the true digit a high chance and grows without end as "
            "that chance goes to 0."),
         "testset", {"answers": "wrong"}, N_("See every mistake on the Test set page")),
    Step(N_("Learning"),
         N_("At first all the weights are random and the network guesses. Training shows it thousands of "
            "digits, and after each small batch it moves every weight a little in the direction that makes the "
            "loss smaller. Backpropagation is how it finds that direction."),
         N_("On the Learn page, train a network of your own until it reads 95% of the held-out digits right, "
            "and watch the tiles of W1 turn from noise into strokes."),
         N_("Press Start training; the defaults pass 95% within the first epoch. Their 512 units change little "
            "each, so for tiles that clearly turn into strokes, set Hidden sizes to 32 and Epochs to 3. Then come "
            "back here."),
         (Equation(r"\frac{\partial L}{\partial z_2} = y - \mathrm{onehot}(t)",
                   "∂<i>L</i>/∂<i>z</i><sub>2</sub> = <i>y</i> − onehot(<i>t</i>)"),
          Equation(r"\frac{\partial L}{\partial W_2} = a_1^\top \frac{\partial L}{\partial z_2}, \quad "
                   r"\frac{\partial L}{\partial W_1} = x^\top \left( \frac{\partial L}{\partial z_2} W_2^\top "
                   r"\odot [z_1 > 0] \right)",
                   "∂<i>L</i>/∂<i>W</i><sub>2</sub> = <i>a</i><sub>1</sub><sup>T</sup> ∂<i>L</i>/∂<i>z</i><sub>2</sub>, "
                   "&nbsp; ∂<i>L</i>/∂<i>W</i><sub>1</sub> = <i>x</i><sup>T</sup> (∂<i>L</i>/∂<i>z</i><sub>2</sub> "
                   "<i>W</i><sub>2</sub><sup>T</sup> ⊙ [<i>z</i><sub>1</sub> &gt; 0])"),
          Equation(r"W \leftarrow W - \eta \, \frac{\partial L}{\partial W}",
                   "<i>W</i> ← <i>W</i> − η ∂<i>L</i>/∂<i>W</i>")),
         N_("t is the true digit. The gradient says how the loss changes with each weight; the learning rate η "
            "says how far to step against it."),
         "learn", {}, N_("Train a network on the Learn page")),
)
