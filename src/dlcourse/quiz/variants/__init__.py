"""Variant makers for computed quiz questions, one module per quiz (`l01_convolutions` for
`quiz/01_convolutions.yml`): fn(rng) -> Variant(parameters, answer, ...).

The answer always comes from running the library code the lesson teaches. The parameters include the
worked steps the explanation shows. `other_readings` and `mistakes` let `dlcourse quiz lint` check that
the key is the only correct reading and that tempting wrong methods do not pass.
"""
