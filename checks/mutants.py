"""The catalogue of deliberate bugs that the claim table must catch (docs/theory.md §12).

Each entry is a :class:`gpdtheory_checks.mutation.Mutant`: a named, documented source edit of the
library, the kind of slip a contributor could make, grouped by the section of
docs/theory.md whose statement it breaks. ``gpdtheory check --mutants`` runs the claims
under each of them and prints the kill matrix (:func:`gpdtheory_checks.mutation.kill_matrix`); a
mutant that no claim catches makes it exit non-zero.

The claims are built to catch classes of bugs, not this list: every bound side is
recomputed from the statement's inputs (:mod:`gpdtheory_checks.reference`), and the library's
intermediate objects (``Gamma_bar``'s column, GD iterates, block outputs, attention kernels)
are compared with the documented ones. A further catalogue is applied the same way:
``Mutant(name, section, description, (Edit("module:function", old, new),))``.
"""

from __future__ import annotations

from .mutation import Edit, Mutant

__all__ = ["CATALOGUE", "MUTANTS"]

_T = "gpdtheory.truncation:truncated_autocovariance"
_GD = "gpdtheory.gd:gd_iterates"
_SCORE = "gpdtheory.diffusion:score"

MUTANTS: tuple[Mutant, ...] = (
    # §1 the kernel
    Mutant("kernel.ell_doubled", "1.2", "powered exponential evaluates exp(-m^nu / (2 ell))",
           (Edit("gpdtheory.kernels:PoweredExponential._rho",
                 "np.exp(-(m**self.nu) / self.ell)", "np.exp(-(m**self.nu) / (2.0 * self.ell))"),)),
    # §2 the exact score and its conditioning
    Mutant("score.alpha_dropped", "2.1", "the mean is subtracted without alpha_t: X - mu",
           (Edit(_SCORE, "Y = X - alpha_t * spec.mean_array", "Y = X - spec.mean_array"),)),
    Mutant("score.mean_not_subtracted", "2.1", "the score ignores the mean: -C_t^-1 X",
           (Edit(_SCORE, "Y = X - alpha_t * spec.mean_array if spec.mean is not None else X",
                 "Y = X"),)),
    Mutant("score.sigma_transposed", "2.2", "Sigma's eigenvectors used transposed (U^T for U)",
           (Edit("gpdtheory.diffusion:_score_eig", "Z = V.T @ (Y @ U)", "Z = V.T @ (Y @ U.T)"),
            Edit("gpdtheory.diffusion:_score_toeplitz", "Z = (Y @ U).reshape(-1, N, d)",
                 "Z = (Y @ U.T).reshape(-1, N, d)"),
            Edit("gpdtheory.diffusion:_score_toeplitz", "rhs = np.matmul(U.T, ",
                 "rhs = np.matmul(U, "))),
    Mutant("score.sigma_ignored", "2.2", "the score solves with Gamma alone (Sigma = I)",
           (Edit("gpdtheory.diffusion:_score_eig", "lam, U = spec.sigma_eigh",
                 "lam, U = np.ones(spec.d), np.eye(spec.d)"),
            Edit("gpdtheory.diffusion:_score_toeplitz", "lam, U = spec.sigma_eigh",
                 "lam, U = np.ones(spec.d), np.eye(spec.d)"))),
    Mutant("kappa.lmax_only", "2.3", "kappa_t = lmax(C_t) / sigma_t^2: lmin(Gamma) dropped",
           (Edit("gpdtheory.diffusion:condition_number",
                 "kappa = np.float64(lmax_C) / lmin_C", "kappa = np.float64(lmax_C) / s2"),)),
    Mutant("eig.max_copy_paste", "1.3", "max_eig returns the smallest eigenvalue (copy-paste)",
           (Edit("gpdtheory.toeplitz.eig:max_eig", "return -_min(-r, method, rtol)",
                 "return _min(r, method, rtol)"),)),
    # §3 truncation, GD, Theorem S
    Mutant("truncation.off_by_one", "3", "the truncation keeps lags m < J instead of m <= J "
           "(J >= 1)", (Edit(_T, "out[J + 1:] = 0.0", "out[max(J, 1):] = 0.0"),)),
    Mutant("truncation.taper_wrong", "4.4", "Bartlett taper 1 - m/(J+2) instead of 1 - m/(J+1)",
           (Edit(_T, "1.0 - np.arange(r.size) / (J + 1.0)",
                 "1.0 - np.arange(r.size) / (J + 2.0)"),)),
    Mutant("truncation.shift_half", "4.4", "the all-N shift adds half of -min f_J",
           (Edit(_T, "out[0] += max(0.0, -fmin)", "out[0] += 0.5 * max(0.0, -fmin)"),)),
    Mutant("gd.one_step_short", "3.1", "gd_iterates runs L - 1 steps",
           (Edit(_GD, "for _ in range(L):", "for _ in range(max(L - 1, 0)):"),)),
    Mutant("gd.spectral_one_short", "3.1", "the spectral GD factor uses (1 - eta c)^(L-1)",
           (Edit("gpdtheory.linear:gd_spectral_factor",
                 "-np.expm1(L * np.log1p(-x[spectral]))",
                 "-np.expm1((L - 1) * np.log1p(-x[spectral]))"),)),
    Mutant("gd.step_size_10pct", "3", "step size eta = 1.1 / Lambda",
           (Edit("gpdtheory.linear:step_size", "return 1.0 / Lambda, Lambda",
                 "return 1.1 / Lambda, Lambda"),)),
    Mutant("gd.wrong_sign", "3", "GD ascends: Y + eta grad",
           (Edit(_GD, "Y = Y - eta * grad", "Y = Y + eta * grad"),)),
    # §5 the construction
    Mutant("construct.block_short", "5.3", "build makes L - 1 blocks",
           (Edit("gpdtheory.construct.build:build", "model = GPDiT(spec.N, spec.d, L,",
                 "model = GPDiT(spec.N, spec.d, max(L - 1, 0),"),)),
    Mutant("construct.depth_60pct", "5.3", "the forward pass skips the blocks after 60% of L",
           (Edit("gpdtheory.construct.block:GPDiT.forward",
                 "H = self.block(k)(H, temb)  # (B, N, D)",
                 "H = self.block(k)(H, temb) if k < 0.6 * self.L else H  # (B, N, D)"),)),
    Mutant("construct.J_halved", "5.2", "the construction truncates at J // 2",
           (Edit("gpdtheory.construct.weights:construct_weights",
                 "truncated_autocovariance(spec.r, J, method=truncation)",
                 "truncated_autocovariance(spec.r, J // 2, method=truncation)"),)),
    Mutant("construct.head_dropped", "5.2", "the last lag head (m = J) is not loaded",
           (Edit("gpdtheory.construct.build:load_construction", "for m in range(cw.J + 1):",
                 "for m in range(cw.J):"),)),
    Mutant("construct.key_from_query", "5.2", "keys projected with W_q (copy-paste)",
           (Edit("gpdtheory.construct.block:ReLUAttentionBlock._weights",
                 'K = torch.einsum("hkc,bnc->bhnk", self.W_k[heads], U)',
                 'K = torch.einsum("hkc,bnc->bhnk", self.W_q[heads], U)'),)),
    Mutant("construct.qk_transposed", "5.2", "attention weights ReLU(K Q^T) instead of ReLU(Q K^T)",
           (Edit("gpdtheory.construct.block:ReLUAttentionBlock._weights",
                 "torch.relu(Q @ K.transpose(-1, -2))",
                 "torch.relu(Q @ K.transpose(-1, -2)).transpose(-1, -2)"),),
           equivalent="the constructed weight of (i, j) is ReLU(c_|i-j| - c_{m+1}), symmetric "
                      "in (i, j), so A^T = A; for a trained model ReLU(K Q^T) is the same "
                      "family with W_q and W_k exchanged, trained along another path (a "
                      "trained claim that flips on it depends on that path; docs/theory.md "
                      "§12)"),
    # §4 positive semidefiniteness
    Mutant("psd.grid_coarse", "4.2", "the certificate rounds rho to a 2^-8 grid, not 2^-64",
           (Edit("gpdtheory.symbol:_to_grid",
                 "round(Fraction(x) * 2**GRID_BITS), 2**GRID_BITS)",
                 "round(Fraction(x) * 2**8), 2**8)"),)),
    Mutant("psd.banded_bandwidth", "4.1", "the banded Cholesky drops the outermost diagonal",
           (Edit("gpdtheory.psd.per_n:per_n", "banded_form(col, min(J, N - 1))",
                 "banded_form(col, max(min(J, N - 1) - 1, 0))"),)),
    # §3.5, §6 distribution level
    Mutant("l2.without_covariance", "3.5", "the L2(p_t) error is tr(D D^T), C_t dropped",
           (Edit("gpdtheory.linear:LinearScore.matrix_l2_error",
                 "W = Dp * np.sqrt(c)[None, :]", "W = Dp"),)),
    Mutant("girsanov.score_term_dropped", "6.1", "the Girsanov bound keeps the prior KL only",
           (Edit("gpdtheory.distribution.girsanov:girsanov_bound", "bound=prior + 0.5 * val",
                 "bound=prior"),)),
    Mutant("lyapunov.drift_factor", "6.2", "the SDE's covariance ODE uses (1 - a) for (1 - 2a)",
           (Edit("gpdtheory.distribution.lyapunov:output_covariance_spectral",
                 "-t * ((1.0 - 2.0 * a) + np.exp(-q))", "-t * ((1.0 - a) + np.exp(-q))"),)),
    Mutant("sampler.drift_sign", "6.5", "Euler-Maruyama adds -s: Y + h (Y/2 - s)",
           (Edit("gpdtheory.sampling:euler_maruyama", "Y = Y + h * (0.5 * Y + s)",
                 "Y = Y + h * (0.5 * Y - s)"),)),
    Mutant("sampler.step_size", "6.5", "exponential integrator uses e^h - 1 for e^(h/2) - 1",
           (Edit("gpdtheory.sampling:exponential_integrator", "e = math.expm1(0.5 * h)",
                 "e = math.expm1(h)"),)),
    # §7-8 trained models and their comparison
    Mutant("train.optimizer_never_steps", "7", "the trainer computes gradients but never "
           "steps its optimizer: every model stays at its initialisation",
           (Edit("gpdtheory.train.loop:_AdamW.advance", "self.opt.step()\n", "\n"),
            Edit("gpdtheory.train.loop:_LBFGS.advance", "self.opt.step(self._closure)",
                 "self._closure()"))),
    Mutant("trained.time_ignoring_score", "8", "the judged score map is the time-ignoring score "
           "I ⊗ (alpha^2 Sigma + sigma^2 I)^-1", (Edit(
               "gpdtheory_checks.baselines:judged_map", "return linear_map(model, t)",
               "return time_ignoring_map(spec, t)"),)),
    Mutant("trained.identity_attention", "8", "the judged attention is on the query frame alone",
           (Edit("gpdtheory_checks.baselines:judged_profile",
                 "return prof if max_lag is None else prof[: max_lag + 1]",
                 "prof = identity_profile(prof.size)\n"
                 "    return prof if max_lag is None else prof[: max_lag + 1]"),)),
    # §7 learning from n samples
    Mutant("sample_complexity.fit_on_n", "7", "the rate is fitted on n, not log n",
           (Edit("gpdtheory.sample_complexity:fit_slope", "x, y = np.log(n), np.log(e)",
                 "x, y = n, np.log(e)"),)),
)

#: The catalogue by name.
CATALOGUE: dict[str, Mutant] = {m.name: m for m in MUTANTS}
