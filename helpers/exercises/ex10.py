"""Checks for the exercises of 10_beyond_the_standard_step (your own optimizer, gradient
accumulation, teacher forcing).

10.1 builds the learner's optimizer class with a learning rate of 0.05 and a momentum of 0.8,
applies five fixed gradients to two small variables, eagerly and inside a ``tf.function``, and
compares every step with ``keras.optimizers.SGD(0.05, momentum=0.8, nesterov=True)``. 10.2
gives the learner's function micro-batches of 32, 32, 36 and 4 examples and a plain SGD
optimizer, and compares the one update it makes with a step on all 104 examples at once; a
second call checks that nothing is carried over. 10.3 decodes with the check's own small
step function, whose logits depend on the token fed in and on a state counter, so that a token
not fed back, a state not passed on or an off-by-one gives other tokens. Every check takes a
second or two.
"""
from __future__ import annotations

import inspect

from . import Incorrect, _as_number, _describe, exercise


def _modules():
    from ..setup import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras
    import numpy as np

    return np, tf, keras


def _largest_difference(np, a, b):
    return max(float(np.max(np.abs(np.asarray(u, "float64") - np.asarray(v, "float64"))))
               for u, v in zip(a, b, strict=True))


# --- 10.1: Nesterov momentum, your own optimizer ----------------------------------------------
_RATE, _MOMENTUM = 0.05, 0.8  # not the defaults (0.01, 0.9): an answer must use its arguments
_SHAPES = ((3, 2), (2,))
_STEPS = 5


def _start_and_gradients(np):
    rng = np.random.default_rng(101)
    start = [rng.normal(size=shape).astype("float32") for shape in _SHAPES]
    gradients = [[rng.normal(size=shape).astype("float32") for shape in _SHAPES]
                 for _ in range(_STEPS)]
    return start, gradients


def _trajectory(np, rule, start, gradients, rate=_RATE, momentum=_MOMENTUM):
    """The weights after each step of an update rule, simulated in float64 with NumPy.

    ``rule(w, v, g, rate, momentum)`` returns the new weight and the new velocity."""
    weights = [w.astype("float64") for w in start]
    velocities = [np.zeros_like(w) for w in weights]
    steps = []
    for step_gradients in gradients:
        for k, g in enumerate(step_gradients):
            weights[k], velocities[k] = rule(weights[k], velocities[k], g.astype("float64"),
                                             rate, momentum)
        steps.append([w.copy() for w in weights])
    return steps


def _nesterov(w, v, g, rate, momentum):
    v = momentum * v - rate * g
    return w + momentum * v - rate * g, v


def _plain_momentum(w, v, g, rate, momentum):
    v = momentum * v - rate * g
    return w + v, v


def _look_ahead_only(w, v, g, rate, momentum):  # the variable moves by momentum × velocity
    v = momentum * v - rate * g
    return w + momentum * v, v


def _mixed_signs(w, v, g, rate, momentum):
    v = momentum * v + rate * g
    return w + momentum * v - rate * g, v


def _forgetful(w, v, g, rate, momentum):  # a velocity that starts from zero at every step
    return _nesterov(w, 0.0 * v, g, rate, momentum)


def _no_momentum(w, v, g, rate, momentum):
    return w - rate * g, v


def _nesterov_mistakes(np, start, gradients):
    """(weights after each step, sentence) for each wrong optimizer the check names."""
    def path(rule, **arguments):
        return _trajectory(np, rule, start, gradients, **arguments)

    return [
        (path(_plain_momentum),
         "your updates are plain momentum, w + velocity: Nesterov's look-ahead adds momentum "
         "× velocity − learning_rate × gradient, using the velocity just updated"),
        (path(_look_ahead_only),
         "your variable moves by momentum × velocity only: Nesterov's step also subtracts "
         "learning_rate × gradient, momentum × velocity − learning_rate × gradient"),
        (path(_mixed_signs),
         "your velocity has the wrong sign: with velocity = momentum × velocity − learning_rate "
         "× gradient, the variable moves by momentum × velocity − learning_rate × gradient"),
        (path(_nesterov, rate=-_RATE),
         "your updates climb the loss (every sign flipped): subtract learning_rate × gradient"),
        (path(_forgetful),
         "your velocity starts from zero at every step: keep it in the optimizer variable that "
         "build made and assign the new velocity to it"),
        (path(_no_momentum),
         "your updates have no momentum at all (plain gradient descent): keep a velocity per "
         "variable and use self.momentum"),
        (path(_nesterov, momentum=0.9),
         "your updates use a momentum of 0.9, not the 0.8 this optimizer was made with: use "
         "the momentum argument (store it in __init__) instead of a fixed number"),
        (path(_nesterov, rate=0.01),
         "your updates use a learning rate of 0.01, not the 0.05 this optimizer was made "
         "with: pass learning_rate to super().__init__ and use the learning_rate update_step "
         "receives"),
        (path(_plain_momentum, momentum=0.9),
         "your updates are plain momentum with a fixed momentum of 0.9: use the momentum "
         "argument, and Nesterov's look-ahead"),
    ]


def _run_optimizer(tf, keras, optimizer, start, gradients, compiled):
    """Apply each step's gradients to fresh variables; the weights after each step."""
    variables = [keras.Variable(w, name=f"w{k}") for k, w in enumerate(start)]
    optimizer.build(variables)

    def apply(step_gradients):
        optimizer.apply(step_gradients, variables)

    if compiled:
        apply = tf.function(apply)
    steps = []
    for step_gradients in gradients:
        apply([tf.constant(g) for g in step_gradients])
        steps.append([v.numpy().copy() for v in variables])
    return variables, steps


def _signature_problem(cls, base) -> str | None:
    expected = "__init__(self, learning_rate=0.01, momentum=0.9, **kwargs)"
    owner = next(c for c in cls.__mro__ if "__init__" in vars(c))
    if owner in base.__mro__:  # the constructor is Keras's own
        return (f"NesterovSGD has no constructor of its own: write {expected}, pass "
                "learning_rate and **kwargs to super().__init__ and keep the momentum")
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    named = {p.name: p for p in parameters}
    if [p.name for p in parameters[:2]] != ["learning_rate", "momentum"]:
        listed = ", ".join(["self", *(str(p) for p in parameters[:3])])
        listed += ", ..." if len(parameters) > 3 else ""
        return f"write the constructor as {expected}; yours is __init__({listed})"
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return (f"write the constructor as {expected}: accept **kwargs and pass them on to "
                "super().__init__, so name=, clipnorm= and the other optimizer options work")
    defaults = named["learning_rate"].default, named["momentum"].default
    if defaults != (0.01, 0.9):
        shown = ", ".join("none" if d is inspect.Parameter.empty else repr(d) for d in defaults)
        return (f"give the constructor the defaults the task asks for, {expected}; yours are "
                f"({shown})")
    return None


@exercise(
    "10.1",
    title="Nesterov momentum, your own optimizer",
    hint="Start from the lesson's MomentumSGD: one velocity per variable made in build, and in "
    "update_step Nesterov's look-ahead, the step SGD(nesterov=True) takes.",
    more="In __init__: super().__init__(learning_rate=learning_rate, **kwargs) and store "
    "momentum on self. In build: return if self.built, call super().build(variables), then make "
    "one velocity per variable with self.add_variable_from_reference(variable, 'velocity'). In "
    "update_step: find the variable's velocity with self._get_variable_index(variable), cast "
    "learning_rate to variable.dtype, assign momentum * velocity - learning_rate * gradient to "
    "the velocity (self.assign), then self.assign_add the variable by momentum * (the new "
    "velocity) - learning_rate * gradient.",
)
def _check_nesterov(optimizer_class):
    np, tf, keras = _modules()
    if isinstance(optimizer_class, keras.optimizers.Optimizer):
        raise Incorrect("pass the class NesterovSGD itself to check(), not an optimizer made "
                        "from it.")
    if not isinstance(optimizer_class, type):
        raise Incorrect("pass your class NesterovSGD itself to check(); you passed "
                        f"{_describe(optimizer_class)}.")
    if not issubclass(optimizer_class, keras.optimizers.Optimizer):
        raise Incorrect("NesterovSGD should be a subclass of keras.optimizers.Optimizer: "
                        "class NesterovSGD(keras.optimizers.Optimizer).")
    if issubclass(optimizer_class, keras.optimizers.SGD):
        raise Incorrect("NesterovSGD subclasses keras.optimizers.SGD, which already does the "
                        "work: subclass keras.optimizers.Optimizer and write the update "
                        "yourself.")
    problem = _signature_problem(optimizer_class, keras.optimizers.Optimizer)
    if problem:
        raise Incorrect(problem + ".")
    optimizer = optimizer_class(_RATE, _MOMENTUM, name="nesterov_check")
    if optimizer.name != "nesterov_check":
        raise Incorrect("NesterovSGD(..., name='nesterov_check') made an optimizer named "
                        f"{optimizer.name!r}: pass **kwargs on to super().__init__.")
    rate = float(optimizer.learning_rate)
    if abs(rate - _RATE) > 1e-7:
        raise Incorrect(
            f"NesterovSGD({_RATE}, {_MOMENTUM}) has a learning rate of {rate:.4g}: pass the "
            "learning_rate argument to super().__init__(learning_rate=learning_rate, ...).")
    start, gradients = _start_and_gradients(np)
    variables, steps = _run_optimizer(tf, keras, optimizer, start, gradients, compiled=False)
    own = len(optimizer.variables) - 2  # the base class keeps iterations and learning_rate
    if own < len(variables):
        raise Incorrect(
            f"after build on {len(variables)} variables your optimizer holds {own} variable"
            f"{'s' if own != 1 else ''} of its own: make one velocity per variable in build "
            "with self.add_variable_from_reference(variable, 'velocity'), so the velocities "
            "are optimizer variables (saved, restored and updated inside tf.function).")
    reference = keras.optimizers.SGD(_RATE, momentum=_MOMENTUM, nesterov=True)
    _, want = _run_optimizer(tf, keras, reference, start, gradients, compiled=False)
    scale = max(1.0, max(float(np.abs(w).max()) for step in want for w in step))
    tolerance = 1e-6 * scale
    for number, (got_step, want_step) in enumerate(zip(steps, want, strict=True), start=1):
        if _largest_difference(np, got_step, want_step) <= tolerance:
            continue
        flat = [w for step in steps for w in step]
        for path, sentence in _nesterov_mistakes(np, start, gradients):
            if _largest_difference(np, flat, [w for step in path for w in step]) <= 1e-5 * scale:
                raise Incorrect(sentence + ".")
        difference = _largest_difference(np, got_step, want_step)
        raise Incorrect(
            f"after step {number} your weights differ from SGD({_RATE}, momentum={_MOMENTUM}, "
            f"nesterov=True)'s by up to {difference:.3g}: velocity = momentum × velocity − "
            "learning_rate × gradient, then the variable moves by momentum × velocity − "
            "learning_rate × gradient.")
    exact = all(np.array_equal(a, b) for s, t in zip(steps, want, strict=True)
                for a, b in zip(s, t, strict=True))
    if int(optimizer.iterations) != _STEPS:
        raise Incorrect(f"after {_STEPS} calls of optimizer.apply your optimizer counts "
                        f"{int(optimizer.iterations)} iterations; leave the counting to "
                        "apply (do not change self.iterations in update_step).")
    compiled_optimizer = optimizer_class(_RATE, _MOMENTUM)
    _, compiled = _run_optimizer(tf, keras, compiled_optimizer, start, gradients, compiled=True)
    for number, (got_step, want_step) in enumerate(zip(compiled, want, strict=True), start=1):
        if _largest_difference(np, got_step, want_step) > tolerance:
            raise Incorrect(
                f"eagerly your optimizer is right, but inside a tf.function step {number} "
                "differs: keep all state in optimizer variables and change them with "
                "self.assign and self.assign_add, not in Python attributes.")
    how = "bit for bit equal to" if exact else "equal (to float32 rounding) to"
    return (f"{_STEPS} steps, eagerly and inside tf.function, {how} "
            f"SGD({_RATE}, momentum={_MOMENTUM}, nesterov=True), with the velocities among the "
            "optimizer's own variables.")


# --- 10.2: accumulate uneven micro-batches ----------------------------------------------------
_SIZES = (32, 32, 36, 4)
_SECOND_SIZES = (8, 20)
_ACCUMULATION_RATE = 0.1


def _regression_model(keras):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="tanh", kernel_initializer=init(seed=41)),
        keras.layers.Dense(1, kernel_initializer=init(seed=42)),
    ])


def _watched(keras, inner):
    """``inner`` behind a model that remembers the largest batch it was called on."""

    class Watched(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = inner
            self.largest = 0

        def call(self, x, training=None):
            if x.shape[0] is not None:
                self.largest = max(self.largest, int(x.shape[0]))
            return self.inner(x, training=training)

    return Watched()


def _micro_batches(np, sizes, seed):
    rng = np.random.default_rng(seed)
    pairs = []
    for k, n in enumerate(sizes):
        x = rng.normal(size=(n, 5)).astype("float32")
        # the last micro-batch lies far from the others: weighting it wrongly shows
        shift = 3.0 if k == len(sizes) - 1 else 0.0
        y = (x[:, :1] - 0.5 * x[:, 1:2] + shift
             + 0.1 * rng.normal(size=(n, 1))).astype("float32")
        pairs.append((x + shift / 3.0, y))
    return pairs


def _gradients_of(tf, model, loss_fn, x, y):
    """The loss of one batch and its gradients, with the model in training mode."""
    trainable = model.trainable_variables
    with tf.GradientTape() as recorder:
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    return float(loss), recorder.gradient(loss, trainable)


def _expected_update(np, tf, model, loss_fn, pairs, combine):
    """The weights after one SGD step whose gradient ``combine`` makes from the micro-batches'
    (size, gradient) pairs, in float64 from the model's current weights."""
    sized = [(len(x), [np.asarray(g, "float64") for g in _gradients_of(tf, model, loss_fn, x,
                                                                        y)[1]])
             for x, y in pairs]
    step = combine(np, sized)
    return [np.asarray(w, "float64") - _ACCUMULATION_RATE * s
            for w, s in zip(model.trainable_variables, step, strict=True)]


def _weighted(np, sized):
    total = sum(n for n, _ in sized)
    return [sum(n * g[k] for n, g in sized) / total for k in range(len(sized[0][1]))]


def _mean_of_means(np, sized):
    return [sum(g[k] for _, g in sized) / len(sized) for k in range(len(sized[0][1]))]


def _weighted_sum(np, sized):
    return [sum(n * g[k] for n, g in sized) for k in range(len(sized[0][1]))]


def _sum_of_means(np, sized):
    return [sum(g[k] for _, g in sized) for k in range(len(sized[0][1]))]


_ACCUMULATION_MISTAKES = (
    (_mean_of_means,
     "you averaged the micro-batches' gradients without weights, as Keras's "
     "gradient_accumulation_steps does; each is a mean over its own examples, so weight "
     "each by its size: sum of size × gradient, divided by the total size"),
    (_weighted_sum,
     "you summed size × gradient but did not divide by the total number of examples"),
    (_sum_of_means,
     "you summed the micro-batches' gradients without dividing: weight each by its size "
     "and divide the sum by the total number of examples"),
)


def _big_batch_step(np, tf, keras, model, pairs):
    """One SGD step of ``model`` on all micro-batches concatenated; the loss before it."""
    x = np.concatenate([x for x, _ in pairs])
    y = np.concatenate([y for _, y in pairs])
    loss, gradients = _gradients_of(tf, model, keras.losses.MeanSquaredError(), x, y)
    for variable, gradient in zip(model.trainable_variables, gradients, strict=True):
        variable.assign_sub(_ACCUMULATION_RATE * gradient)
    return loss


@exercise(
    "10.2",
    title="Accumulate uneven micro-batches",
    hint="Each micro-batch's loss is a mean over its own examples: weight its gradients by its "
    "size, divide by the total once, and call optimizer.apply once.",
    more="variables = model.trainable_variables; total = the sum of len(x) over the "
    "micro-batches; start a list of zeros, tf.zeros_like(v) for each variable. For each (x, y): "
    "a GradientTape around loss_fn(y, model(x, training=True)), tape.gradient(loss, variables), "
    "add len(x) * g to each running sum and len(x) * float(loss) to a running loss. Then "
    "optimizer.apply([s / total for each sum], variables), once, and return the running loss "
    "divided by total.",
)
def _check_accumulation(accumulate_and_apply):
    np, tf, keras = _modules()
    if not callable(accumulate_and_apply):
        raise Incorrect("pass your function accumulate_and_apply itself to check().")
    model, reference = _watched(keras, _regression_model(keras)), _regression_model(keras)
    optimizer = keras.optimizers.SGD(_ACCUMULATION_RATE)
    loss_fn = keras.losses.MeanSquaredError()
    for call, (pairs_sizes, seed) in enumerate(((_SIZES, 102), (_SECOND_SIZES, 103)), start=1):
        pairs = _micro_batches(np, pairs_sizes, seed)
        total = sum(pairs_sizes)
        sizes = ", ".join(str(n) for n in pairs_sizes)
        at = "" if call == 1 else "at the second call, "
        mistakes = [(_expected_update(np, tf, model, loss_fn, pairs, combine), sentence)
                    for combine, sentence in _ACCUMULATION_MISTAKES]
        losses = [_gradients_of(tf, model, loss_fn, x, y)[0] for x, y in pairs]
        iterations = int(optimizer.iterations)
        want_loss = _big_batch_step(np, tf, keras, reference, pairs)
        model.largest = 0
        got = accumulate_and_apply(model, optimizer, loss_fn, pairs)
        if model.largest > max(pairs_sizes):
            raise Incorrect(
                f"{at}you ran the model on {model.largest} examples at once, more than the "
                f"largest micro-batch ({max(pairs_sizes)}): accumulation exists so that the "
                "big batch never goes through the model at once; run one micro-batch at a "
                "time and add up their gradients.")
        steps = int(optimizer.iterations) - iterations
        if steps == 0:
            returned = " and returned None" if got is None else ""
            raise Incorrect(
                f"{at}your function made no update{returned} (optimizer.iterations did not "
                "grow): call optimizer.apply once, with the accumulated gradients.")
        if steps != 1:
            raise Incorrect(
                f"{at}optimizer.iterations grew by {steps} for {len(pairs)} micro-batches: "
                "add up the gradients of all micro-batches and call optimizer.apply once.")
        weights = [np.asarray(v) for v in model.trainable_variables]
        want = [np.asarray(v) for v in reference.trainable_variables]
        scale = max(1.0, max(float(np.abs(w).max()) for w in want))
        if _largest_difference(np, weights, want) > 1e-5 * scale:
            for expected, sentence in mistakes:
                if _largest_difference(np, weights, expected) <= 1e-5 * scale:
                    raise Incorrect(f"{at}{sentence} (micro-batches of {sizes}).")
            if call == 2:
                raise Incorrect(
                    "the first call was right but the second call's update differs from one "
                    f"step on its {total} examples: start the sums from zero at every call, "
                    "so nothing from an earlier call is carried over.")
            difference = _largest_difference(np, weights, want)
            raise Incorrect(
                f"your update differs by up to {difference:.3g} from one SGD step on all "
                f"{total} examples of the micro-batches of {sizes}: weight each "
                "micro-batch's gradients by its size and divide by the total size.")
        if got is None:
            raise Incorrect(f"{at}the update is right, but you returned None; return the mean "
                            "loss over all examples.")
        loss = _as_number(got, "the loss accumulate_and_apply returns")
        mean_of_means = float(np.mean(losses))
        if not np.isclose(loss, want_loss, rtol=1e-5):
            if np.isclose(loss, mean_of_means, rtol=1e-5):
                raise Incorrect(
                    f"{at}the update is right, but the loss you returned, {loss:.5g}, is the "
                    "mean of the micro-batches' losses; weight each by its size: the mean "
                    f"over all {total} examples is {want_loss:.5g}.")
            raise Incorrect(
                f"{at}the update is right, but you returned a loss of {loss:.5g}; the mean "
                f"loss over all {total} examples before the update is {want_loss:.5g}.")
    return (f"micro-batches of {', '.join(str(n) for n in _SIZES)} and then of "
            f"{', '.join(str(n) for n in _SECOND_SIZES)}: each call makes one update, equal "
            "to one step on all its examples at once, and returns their mean loss.")


# --- 10.3: feed the model its own predictions -------------------------------------------------
_VOCAB = 7
_BATCH = 3
_START = 0
_OFFSETS = (0, 2, 5)  # each sequence's state counter starts elsewhere
_PERIOD = 4


class _CountingStep:
    """The check's own decoder step: logits from the previous token and a state counter."""

    def __init__(self, np, tf):
        self._np, self._tf = np, tf
        rng = np.random.default_rng(104)
        self.by_token = rng.normal(size=(_VOCAB, _VOCAB)).astype("float32")
        self.by_time = (1.5 * rng.normal(size=(_PERIOD, _VOCAB))).astype("float32")
        self.calls = 0

    def logits(self, tokens, counters):
        return (self.by_token[tokens] + self.by_time[counters % _PERIOD]).astype("float32")

    def __call__(self, tokens, state):
        np, tf = self._np, self._tf
        self.calls += 1
        shape = tuple(getattr(tokens, "shape", ()))
        if shape != (_BATCH,):
            hint = (" (an argmax over axis 0 takes the best sequence for each token, not the "
                    "best token for each sequence: use axis=-1)" if shape == (_VOCAB,) else "")
            raise Incorrect(
                f"step received tokens of shape {shape}; feed it one token per sequence, a "
                f"tensor of shape ({_BATCH},){hint}.")
        tokens = np.asarray(tokens)
        if not np.issubdtype(tokens.dtype, np.integer):
            raise Incorrect(
                f"step received tokens of dtype {tokens.dtype}; feed it integer token ids, "
                "the argmax of the logits (tf.argmax gives int64).")
        counters = np.asarray(state)
        return tf.constant(self.logits(tokens, counters)), tf.constant(counters + 1)

    def decode(self, length, feed_back=True, pass_state=True):
        """What greedy decoding gives, and what it gives with a mistake, in NumPy."""
        np = self._np
        tokens = np.full(_BATCH, _START)
        counters = np.array(_OFFSETS)
        chosen = []
        for _position in range(length):
            new = self.logits(tokens, counters).argmax(axis=-1)
            chosen.append(new)
            if feed_back:
                tokens = new
            if pass_state:
                counters = counters + 1
        return np.stack(chosen, axis=1)


@exercise(
    "10.3",
    title="Feed the model its own predictions",
    hint="At every step give step the tokens chosen at the step before (the start tokens "
    "first) and the state it returned; keep the argmax of each step's logits.",
    more="tokens = start_token; chosen = []; repeat length times: logits, state = "
    "step(tokens, state); tokens = tf.argmax(logits, axis=-1); append tokens to chosen. Then "
    "return tf.stack(chosen, axis=1), shape (batch, length): the start token is not part of "
    "it.",
)
def _check_decode(greedy_decode):
    np, tf, _ = _modules()
    if not callable(greedy_decode):
        raise Incorrect("pass your function greedy_decode itself to check().")
    for length in (5, 2):
        step = _CountingStep(np, tf)
        want = step.decode(length)
        start = tf.fill([_BATCH], tf.constant(_START, tf.int32))
        got = greedy_decode(step, tf.constant(_OFFSETS, tf.int32), start, length)
        call = f"greedy_decode(step, state, start_token, length={length})"
        if got is None:
            raise Incorrect(f"{call} returned None; return the chosen tokens, shape "
                            f"(batch, length) = ({_BATCH}, {length}).")
        try:
            array = np.asarray(got)
        except (TypeError, ValueError):
            raise Incorrect(f"{call} should return the chosen tokens as an array; you returned "
                            f"{_describe(got)}.") from None
        if array.shape == (_BATCH, length + 1) and (array[:, 0] == _START).all():
            raise Incorrect(f"{call} returned {length + 1} tokens per sequence, the start "
                            f"token first: return only the {length} tokens the model chose.")
        if array.shape == (length, _BATCH) and length != _BATCH:
            raise Incorrect(f"{call} returned shape {array.shape}, (length, batch): stack the "
                            f"steps' tokens along axis 1, shape ({_BATCH}, {length}).")
        if array.shape != (_BATCH, length):
            raise Incorrect(f"{call} returned {_describe(got)}; return one token per "
                            f"sequence and step, shape (batch, length) = ({_BATCH}, {length}), "
                            "without the start token.")
        if not np.issubdtype(array.dtype, np.integer):
            raise Incorrect(f"{call} returned values of dtype {array.dtype}; return the "
                            "integer token ids (the argmax), not logits or floats.")
        if np.array_equal(array, want):
            if step.calls != length:
                raise Incorrect(f"{call} called step {step.calls} times; call it once per "
                                f"token, {length} times.")
            continue
        start_column = np.full((_BATCH, 1), _START)
        mistakes = [
            (np.concatenate([start_column, want[:, :-1]], axis=1),
             "the start token is the first of your tokens: return only the tokens the model "
             "chose, and feed the start token in only at the first step"),
            (step.decode(length, feed_back=False),
             "you fed step the start token at every step: feed it the tokens it chose at the "
             "step before"),
            (step.decode(length, pass_state=False),
             "you passed step the first state at every step: pass it the state it returned "
             "at the step before"),
            (step.decode(length, feed_back=False, pass_state=False),
             "you fed step the start token and the first state at every step: feed back the "
             "tokens it chose and the state it returned"),
        ]
        for tokens, sentence in mistakes:
            if np.array_equal(array, tokens):
                raise Incorrect(f"{call}: {sentence}.")
        wrong = int((array != want).sum())
        raise Incorrect(f"{call} chose {wrong} of {array.size} tokens differently from greedy "
                        "decoding: at every step take the argmax of the logits over the "
                        "vocabulary and feed it back.")
    return (f"greedy decoding of {_BATCH} sequences for 5 and for 2 steps: every token fed back "
            "and the state passed on, one step call per token.")
