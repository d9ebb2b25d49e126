"""Smooth convex solvers driven by callables; all stop on the same rule.

Every solver here stops when the largest absolute entry of the gradient is at most
``tol``, and only then reports convergence. Whatever else ends a run (the iteration
budget, a line search that cannot decrease the objective any more) is reported in
``stop_reason`` with ``converged=False``, so that the caller can warn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

# Up to this many parameters, Newton steps are solved to near machine precision.
_EXACT_STEP_SIZE = 300

FunGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]
# x -> (value, gradient, v -> H v, Hessian diagonal or None)
FunGradHessp = Callable[
    [np.ndarray],
    tuple[float, np.ndarray, Callable[[np.ndarray], np.ndarray], np.ndarray | None],
]


@dataclass
class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    x : ndarray
        The final iterate.
    fun : float
        Objective at ``x``.
    grad_max : float
        Largest absolute entry of the gradient at ``x``.
    n_iter : int
        Iterations (L-BFGS steps or Newton steps).
    n_passes : int
        Passes over the data: function, gradient or Hessian-vector evaluations.
    converged : bool
        Whether ``grad_max <= tol``.
    stop_reason : str
        Why the solver stopped, in words.
    """

    x: np.ndarray
    fun: float
    grad_max: float
    n_iter: int
    n_passes: int
    converged: bool
    stop_reason: str


def _stop(converged, grad_max, tol, otherwise):
    if converged:
        return f"max |gradient| = {grad_max:.3g} <= tol = {tol:.3g}"
    return f"{otherwise}; max |gradient| = {grad_max:.3g} > tol = {tol:.3g}"


def lbfgs(
    fun_grad: FunGrad,
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    memory: int = 10,
    verbose: int = 0,
) -> SolverResult:
    """Minimise with SciPy's L-BFGS-B, fed one fused loss-and-gradient call.

    SciPy's relative-decrease test is switched off (``ftol=0``): the run ends on
    the gradient test, the iteration budget or a failed line search.
    """
    n_calls = 0

    def counted(x):
        nonlocal n_calls
        n_calls += 1
        value, gradient = fun_grad(x)
        if verbose > 1:
            print(f"[lbfgs] f = {value:.12g}  max|g| = {np.max(np.abs(gradient)):.3g}")
        return value, gradient

    result = minimize(
        counted,
        np.asarray(x0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        options={
            "maxiter": max_iter,
            "maxcor": memory,
            "gtol": tol,
            "ftol": 0.0,
            "maxls": 50,
        },
    )
    grad_max = float(np.max(np.abs(result.jac))) if result.jac.size else 0.0
    converged = grad_max <= tol
    if result.nit >= max_iter:
        otherwise = f"reached max_iter = {max_iter} iterations"
    else:
        otherwise = (
            "the line search could not decrease the objective further "
            f"(L-BFGS-B: {result.message})"
        )
    reason = _stop(converged, grad_max, tol, otherwise)
    if verbose:
        print(f"[lbfgs] {result.nit} iterations, {n_calls} evaluations: {reason}")
    return SolverResult(
        x=result.x,
        fun=float(result.fun),
        grad_max=grad_max,
        n_iter=int(result.nit),
        n_passes=n_calls,
        converged=converged,
        stop_reason=reason,
    )


def newton_cg(
    fun_grad_hessp: FunGradHessp,
    fun: Callable[[np.ndarray], float],
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    max_cg_iter: int | None = None,
    exact_step_size: int = _EXACT_STEP_SIZE,
    project: Callable[[np.ndarray], np.ndarray] | None = None,
    verbose: int = 0,
) -> SolverResult:
    """Minimise a convex function by truncated Newton with exact Hessian products.

    ``fun_grad_hessp(x)`` returns ``(f, g, hessp, diagonal)``: the value, the
    gradient, a function ``v -> H v`` and the Hessian's diagonal (or None).
    ``project``, if given, is the orthogonal projection onto a subspace that holds
    the gradients and that ``H`` maps into itself: it is applied to the residuals
    and the preconditioned residuals, so that the steps stay in that subspace.

    Each Newton step solves ``H d = -g`` by conjugate gradients, preconditioned by
    the diagonal, to the relative residual ``min(0.5, sqrt(|g|))`` (superlinear
    convergence near the optimum) or until the residual's largest entry is at
    most ``tol / 2`` (to first order, the next gradient then meets the stopping
    rule), then takes the largest step ``t`` in ``1, 1/2, 1/4, ...`` that
    satisfies the Armijo condition. The full step is evaluated with gradient and
    curvature at once, since it is almost always taken. Near the optimum the
    decrease drops below the rounding error of the objective; there a full step
    that reduces the gradient is taken as well.
    """
    x = np.asarray(x0, dtype=np.float64).copy()
    max_cg_iter = max_cg_iter or max(10, min(200, x.size))
    value, gradient, hessp, diagonal = fun_grad_hessp(x)
    n_passes = 1
    grad_max = _max_abs(gradient)
    n_iter = 0
    otherwise = f"reached max_iter = {max_iter} iterations"
    rounding = 16 * np.finfo(np.float64).eps
    while grad_max > tol and n_iter < max_iter:
        n_iter += 1
        grad_norm = float(np.linalg.norm(gradient))
        # Superlinear forcing, and no solve finer than the stopping rule can see
        # (a residual whose largest entry is below tol / 2); or near-exact steps
        # for small problems (cheap, and reproducible: truncated CG amplifies
        # rounding differences).
        exact = x.size <= exact_step_size
        forcing = 1e-8 if exact else min(0.5, np.sqrt(grad_norm))
        direction, cg_iter = _conjugate_gradient(
            hessp,
            -gradient,
            forcing * grad_norm,
            max_cg_iter,
            diagonal,
            max_abs=0.0 if exact else 0.5 * tol,
            project=project,
        )
        n_passes += cg_iter
        slope = float(gradient @ direction)
        if not slope < 0:  # cannot happen for a convex objective; be safe
            direction, slope = -gradient, -(grad_norm**2)
        trial = fun_grad_hessp(x + direction)
        n_passes += 1
        step = 1.0
        accepted = trial[0] <= value + 1e-4 * slope or (
            trial[0] <= value + rounding * abs(value)
            and np.linalg.norm(trial[1]) < grad_norm
        )
        while not accepted and step > 1e-10:
            step *= 0.5
            trial_value = fun(x + step * direction)
            n_passes += 1
            accepted = trial_value <= value + 1e-4 * step * slope
        if not accepted:
            otherwise = "the line search could not decrease the objective further"
            break
        x = x + step * direction
        if step != 1.0:
            trial = fun_grad_hessp(x)
            n_passes += 1
        value, gradient, hessp, diagonal = trial
        grad_max = _max_abs(gradient)
        if verbose:
            print(
                f"[newton-cg] iter {n_iter}: f = {value:.12g}  "
                f"max|g| = {grad_max:.3g}  cg = {cg_iter}  step = {step:g}"
            )
    converged = grad_max <= tol
    reason = _stop(converged, grad_max, tol, otherwise)
    if verbose:
        print(f"[newton-cg] {n_iter} iterations, {n_passes} passes: {reason}")
    return SolverResult(
        x=x,
        fun=float(value),
        grad_max=grad_max,
        n_iter=n_iter,
        n_passes=n_passes,
        converged=converged,
        stop_reason=reason,
    )


def _max_abs(v) -> float:
    return float(np.max(np.abs(v))) if v.size else 0.0


def _conjugate_gradient(
    hessp, rhs, atol, max_iter, diagonal=None, max_abs=0.0, project=None
):
    """Approximately solve ``H d = rhs`` by (preconditioned) conjugate gradients.

    Stops when the residual's norm is at most ``atol`` or its largest entry at
    most ``max_abs``. Returns ``(d, n)`` with ``n`` the Hessian products used.
    ``diagonal`` (of H, positive) gives the Jacobi preconditioner, and
    ``project`` a projection applied after it (see ``newton_cg``).
    """
    inverse = None
    if diagonal is not None and np.all(diagonal > 0):
        inverse = 1.0 / diagonal

    def precondition(r):
        if inverse is None:
            return r
        return r * inverse if project is None else project(r * inverse)

    d = np.zeros_like(rhs)
    residual = rhs.copy()
    z = precondition(residual)
    p = z.copy()
    rz = float(residual @ z)
    for i in range(1, max_iter + 1):
        hp = hessp(p)
        curvature = float(p @ hp)
        if curvature <= 0:  # flat or negative direction: stop with what we have
            return (d if i > 1 else rhs.copy()), i
        alpha = rz / curvature
        d += alpha * p
        residual -= alpha * hp
        if project is not None:  # rounding (float32 products) must not leave it
            residual = project(residual)
        if np.linalg.norm(residual) <= atol or _max_abs(residual) <= max_abs:
            return d, i
        z = precondition(residual)
        rz_new = float(residual @ z)
        p *= rz_new / rz
        p += z
        rz = rz_new
    return d, max_iter


class AveragedSGD:
    """Mini-batch stochastic gradient descent with iterate averaging.

    Each step is ``theta -= gradient / L``, with ``L`` a bound on the curvature of
    the per-sample loss (for the log-loss of a linear model, ``||x||^2 / 2``
    averaged over the samples seen): the step a full-batch method would take, so
    nothing needs tuning on standardised data. The returned model is the
    polynomial-decay average ``avg_t = (1 - w_t) avg_{t-1} + w_t theta_t`` with
    ``w_t = 4 / (t + 3)`` (Shamir and Zhang, 2013): it forgets the early iterates,
    averages out the gradient noise of the late ones, and needs no schedule.
    """

    def __init__(self, theta, n_updates=0):
        # n_updates > 0 resumes an average (the weights of later steps stay small).
        self.theta = np.array(theta, dtype=np.float64)
        self.average = self.theta.copy()
        self.n_updates = n_updates

    def step(self, gradient, lipschitz):
        self.theta -= gradient / lipschitz
        self.n_updates += 1
        self.average += (4.0 / (self.n_updates + 3)) * (self.theta - self.average)
