"""The policy engine: conftest-compatible Rego evaluation of rendered manifests.

* :mod:`chartgate.policy.conftest` — conftest's semantics: which rules fail or warn, rule
  name → policy id, ``exception`` exemptions, the batch driver module, reading results;
* :mod:`chartgate.policy.evaluator` — one OPA server holding a policy directory and its
  data, evaluating many documents per request;
* :mod:`chartgate.policy.engine` — scenarios' manifest sets in, per-scenario policy
  results out (results cached across runs).

Starting and talking to the OPA server is :mod:`chartgate.tools.opa`'s job; turning results
into findings against a scenario's expectations is the policy stage's
(:mod:`chartgate.stages.policy`).
"""
