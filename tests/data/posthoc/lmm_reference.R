# Reference values for trialflow.stats.lmm.mixed_model (linear mixed model sensitivity analysis).
#
# Usage (from the repository root):
#   Rscript tests/data/posthoc/lmm_reference.R > tests/data/posthoc/lmm_reference_output.txt
#
# Fits, on ALL available rows (participants with missed visits included) of
# tests/data/anova/three_by_four_unequal_missing.csv and of lmm_boundary.csv (this folder; its
# REML subject variance is 0, a "boundary (singular) fit"), a random-intercept model by REML
# with sum-to-zero contrasts, and prints: the fixed effects and their SEs, the variance components,
# car::Anova's Type III Wald chi-square tests, and the estimated marginal means per arm x time
# with the model-based (asymptotic) SE, each preceded by the R call. Numbers are printed with
# format(x, digits = 15); tests/test_lmm.py compares at rel = 1e-4 (optimizers differ).
#
# Produced with R 4.2.2, lme4 1.1-31, car 3.1-1, emmeans 1.8.4-1 (Debian r-cran-* packages).

suppressPackageStartupMessages({
  library(lme4)
  library(car)
  library(emmeans)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/data/posthoc"
data_dir <- file.path(dirname(here), "anova")

fmt <- function(x) format(x, digits = 15)
run <- function(call) {
  cat("\n# ", call, "\n", sep = "")
  eval(parse(text = call), envir = globalenv())
}

cat("R:", R.version.string, "| lme4", format(packageVersion("lme4")),
    "| car", format(packageVersion("car")), "| emmeans", format(packageVersion("emmeans")), "\n")

run('options(contrasts = c("contr.sum", "contr.poly"))')

datasets <- list(
  three_by_four_unequal_missing = list(file = file.path(data_dir, "three_by_four_unequal_missing.csv"),
                                       levels = c("t1", "t2", "t3", "t4")),
  lmm_boundary = list(file = file.path(here, "lmm_boundary.csv"), levels = c("pre", "mid", "post"))
)

for (name in names(datasets)) {
  cat("\n==================== ", name, " ====================\n", sep = "")
  d <- read.csv(datasets[[name]]$file, stringsAsFactors = FALSE)
  d$time <- factor(d$time, levels = datasets[[name]]$levels)
  d$arm <- factor(d$arm)
  d$participant_id <- factor(d$participant_id)
  cat("rows:", nrow(d), " participants:", nlevels(d$participant_id), "\n")
  say <- function(key, value) cat(sprintf("%s.%s = %s\n", name, key, fmt(value)))

  fit <- run('lme4::lmer(value ~ arm * time + (1 | participant_id), data = d, REML = TRUE)')
  cat("# isSingular(fit):", isSingular(fit), "\n")
  cat("# fixef(fit); sqrt(diag(vcov(fit)))\n")
  fe <- fixef(fit)
  se <- sqrt(diag(as.matrix(vcov(fit))))
  for (nm in names(fe)) {
    say(paste0("fixef.", nm), fe[[nm]])
    say(paste0("se.", nm), se[[nm]])
  }
  cat("# as.data.frame(VarCorr(fit))$vcov; REMLcrit(fit)\n")
  vc <- as.data.frame(VarCorr(fit))
  say("var.participant_id", vc$vcov[vc$grp == "participant_id"])
  say("var.residual", vc$vcov[vc$grp == "Residual"])
  say("reml_criterion", REMLcrit(fit))

  a <- run('car::Anova(fit, type = 3)')
  for (eff in rownames(a)) {
    say(paste0("anova.", eff, ".chisq"), a[eff, "Chisq"])
    say(paste0("anova.", eff, ".df"), a[eff, "Df"])
    say(paste0("anova.", eff, ".p"), a[eff, "Pr(>Chisq)"])
  }

  emm <- run('emmeans::emmeans(fit, ~ arm * time, lmer.df = "asymptotic")')
  s <- as.data.frame(summary(emm))
  for (i in seq_len(nrow(s))) {
    key <- paste0("emm.", s$arm[i], ".", s$time[i])
    say(paste0(key, ".emmean"), s$emmean[i])
    say(paste0(key, ".se"), s$SE[i])
  }

  # For information only (not pinned): Kenward-Roger F tests, which need pbkrtest.
  a_kr <- run('car::Anova(fit, type = 3, test.statistic = "F")')
  print(a_kr, digits = 10)
}
