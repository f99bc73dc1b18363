# Reference values for the REML precision test of trialflow's linear mixed model (tests/test_lmm.py).
# Run:  Rscript tests/data/posthoc/lmm_precision.R > tests/data/posthoc/lmm_precision_output.txt
# (R 4.2.2, lme4 1.1-31, car 3.1-1.)
#
# lme4's optimizer compares criterion values, which near the minimum change only with the square
# of the step, so its theta is good to ~1e-8 and car::Anova's chi-square to ~3e-8. Here the REML
# variance ratio is instead solved as the root of the REML score, written with dense matrices
# (not trialflow's per-participant formulas):
#   score(t) = tr(P ZZ') - (n - p) y'P ZZ'P y / y'P y,  V = I + t ZZ',  P = V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1,
# by uniroot to tol 1e-15; lme4 then evaluates the model at that theta without optimising
# (lmerControl(optimizer = NULL)), and car::Anova gives the Type III Wald tests.
suppressMessages({library(lme4); library(car)})
options(contrasts = c("contr.sum", "contr.poly"))

reference <- function(file, levels) {
  d <- read.csv(file, stringsAsFactors = FALSE)
  d$time <- factor(d$time, levels = levels); d$arm <- factor(d$arm)
  X <- model.matrix(~ arm * time, d)
  Z <- model.matrix(~ 0 + factor(participant_id), d)
  y <- d$value; n <- nrow(X); p <- ncol(X)
  score <- function(t) {
    Vi <- solve(diag(n) + t * Z %*% t(Z))
    P <- Vi - Vi %*% X %*% solve(t(X) %*% Vi %*% X, t(X) %*% Vi)
    Py <- P %*% y
    sum(diag(P %*% Z %*% t(Z))) - (n - p) * sum((t(Z) %*% Py)^2) / sum(y * Py)
  }
  fit0 <- lmer(value ~ arm * time + (1 | participant_id), data = d, REML = TRUE)
  t0 <- getME(fit0, "theta")^2
  ratio <- uniroot(score, c(t0 / 2, t0 * 2), tol = 1e-15)$root
  fit <- lmer(value ~ arm * time + (1 | participant_id), data = d, REML = TRUE,
              start = list(theta = sqrt(ratio)), control = lmerControl(optimizer = NULL))
  cat("file:", file, "\n")
  cat("variance ratio (uniroot on the score):", format(ratio, digits = 17), "\n")
  cat("variance ratio (lme4's own optimum):  ", format(t0, digits = 17), "\n")
  print(format(as.data.frame(VarCorr(fit))$vcov, digits = 15))
  cat("REMLcrit:", format(REMLcrit(fit), digits = 15), "\n")
  a <- car::Anova(fit, type = 3)
  print(data.frame(term = rownames(a), chisq = format(a$Chisq, digits = 15), df = a$Df,
                   p = format(a[["Pr(>Chisq)"]], digits = 15)))
  cat("\n")
}

reference("tests/data/posthoc/lmm_precision.csv", c("w0", "w4", "w8", "w12"))
reference("tests/data/anova/three_by_four_unequal_missing.csv", c("t1", "t2", "t3", "t4"))
