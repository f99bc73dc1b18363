# Reference values for the one-arm design: the one-way repeated-measures ANOVA, its simple
# effects, the paired t-test, the one-arm estimation rows and the linear mixed model.
#
# Usage (from the repository root):
#   Rscript tests/data/anova/reference_one_arm.R > tests/data/anova/reference_one_arm_output.txt
#
# Reads the one-arm CSVs written by make_datasets.py (same directory) and prints every number
# pinned in tests/test_designs.py, preceded by the exact R call that produced it, with
# format(x, digits = 15).
#
# Produced with R 4.2.2, afex 1.2-1, car 3.1-1, emmeans 1.8.4-1, lme4 1.1-31 (Debian r-cran-*).

suppressPackageStartupMessages({
  library(afex)
  library(car)
  library(emmeans)
  library(lme4)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
data_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/data/anova"

fmt <- function(x) format(x, digits = 15)
run <- function(call) {
  cat("\n# ", call, "\n", sep = "")
  suppressWarnings(suppressMessages(eval(parse(text = call), envir = globalenv())))
}

cat("R:", R.version.string, "| afex", format(packageVersion("afex")), "| car", format(packageVersion("car")),
    "| emmeans", format(packageVersion("emmeans")), "| lme4", format(packageVersion("lme4")), "\n")

datasets <- list(
  one_by_two = c("pre", "post"),
  one_by_three = c("pre", "mid", "post"),
  one_by_four_missing = c("t1", "t2", "t3", "t4"),
  one_by_four_few = c("t1", "t2", "t3", "t4")
)

for (name in names(datasets)) {
  lv <- datasets[[name]]
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  d$time <- factor(d$time, levels = lv)
  d$participant_id <- factor(d$participant_id)
  assign("d", d, envir = globalenv())
  say <- function(key, value) cat(sprintf("%s.%s = %s\n", name, key, fmt(value)))
  cat("\n==================== ", name, " ====================\n", sep = "")

  fit <- run('afex::aov_ez(id = "participant_id", dv = "value", data = d, within = "time", type = 3, include_aov = TRUE)')
  assign("fit", fit, envir = globalenv())
  dropped <- attr(fit, "incomplete_cases")
  cat("# afex dropped (incomplete cases):",
      if (length(dropped)) paste(sort(as.character(dropped)), collapse = ", ") else "none", "\n")
  tab <- list(none = run('anova(fit, es = "pes", correction = "none")'),
              GG = run('anova(fit, es = "pes", correction = "GG")'),
              HF = run('anova(fit, es = "pes", correction = "HF")'))
  s <- run('summary(fit$Anova, multivariate = FALSE)')
  uni <- s$univariate.tests
  say("ss", uni["time", "Sum Sq"]); say("ss_error", uni["time", "Error SS"])
  say("df1", uni["time", "num Df"]); say("df2", uni["time", "den Df"])
  say("F", tab$none["time", "F"]); say("p", tab$none["time", "Pr(>F)"]); say("pes", tab$none["time", "pes"])
  adj <- s$pval.adjustments
  if (!is.null(adj) && "time" %in% rownames(adj) && !is.na(adj["time", "GG eps"])) {
    say("eps_gg", adj["time", "GG eps"]); say("eps_hf", adj["time", "HF eps"])
    say("p_gg", tab$GG["time", "Pr(>F)"]); say("p_hf", tab$HF["time", "Pr(>F)"])
    say("mauchly_w", s$sphericity.tests["time", "Test statistic"])
    say("mauchly_p", s$sphericity.tests["time", "p-value"])
  } else {
    cat(sprintf("%s.eps = (not reported by car/afex)\n", name))
  }

  wide <- fit$data$wide
  if (length(lv) == 2) {
    tt <- run('t.test(wide$post, wide$pre, paired = TRUE)')
    say("paired_t.t", unname(tt$statistic)); say("paired_t.df", unname(tt$parameter))
    say("paired_t.p", tt$p.value); say("paired_t.estimate", unname(tt$estimate))
    say("paired_t.ci_low", tt$conf.int[1]); say("paired_t.ci_high", tt$conf.int[2])
    say("paired_t.t_squared", unname(tt$statistic)^2)
  }

  # Simple effects: each time point against the first, Bonferroni, multivariate model.
  emm <- run('emmeans::emmeans(fit, trt.vs.ctrl ~ time, adjust = "bonferroni", model = "multivariate")')
  adj_tab <- as.data.frame(summary(emm$contrasts))
  raw_tab <- as.data.frame(summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE)))
  cat("# unadjusted p and 95 % CI: summary(emm$contrasts, adjust = \"none\", infer = c(TRUE, TRUE))\n")
  for (i in seq_len(nrow(raw_tab))) {
    k <- paste0("contrast[", raw_tab$contrast[i], "]")
    say(paste0(k, ".estimate"), raw_tab$estimate[i]); say(paste0(k, ".se"), raw_tab$SE[i])
    say(paste0(k, ".df"), raw_tab$df[i]); say(paste0(k, ".t"), raw_tab$t.ratio[i])
    say(paste0(k, ".p"), raw_tab$p.value[i]); say(paste0(k, ".p_adj"), adj_tab$p.value[i])
    say(paste0(k, ".ci_low"), raw_tab$lower.CL[i]); say(paste0(k, ".ci_high"), raw_tab$upper.CL[i])
  }

  # Shapiro-Wilk on the complete cases at each time point.
  d_complete <- d[d$participant_id %in% unique(fit$data$long$participant_id), ]
  assign("d_complete", d_complete, envir = globalenv())
  for (t in lv) {
    sw <- run(sprintf('shapiro.test(subset(d_complete, time == "%s")$value)', t))
    say(paste0("shapiro.", t, ".W"), unname(sw$statistic)); say(paste0("shapiro.", t, ".p"), sw$p.value)
  }

  # Estimation: mean change first -> last time point (paired t), Hedges' g of the changes.
  first <- lv[1]; last <- lv[length(lv)]
  chg <- wide[[last]] - wide[[first]]
  # (complete cases of the whole design; for first/last only, the same participants here except
  # one_by_four_missing, handled in the call below)
  pair <- reshape(d[d$time %in% c(first, last), c("participant_id", "time", "value")],
                  idvar = "participant_id", timevar = "time", direction = "wide")
  pair <- pair[complete.cases(pair), ]
  assign("pair", pair, envir = globalenv())
  tt <- run(sprintf('t.test(pair$value.%s, pair$value.%s, paired = TRUE)', last, first))
  say("est.n", nrow(pair)); say("est.mean_change", unname(tt$estimate))
  say("est.se", unname(tt$stderr)); say("est.df", unname(tt$parameter))
  say("est.ci_low", tt$conf.int[1]); say("est.ci_high", tt$conf.int[2]); say("est.p", tt$p.value)
  if (nrow(pair) >= 3) {
    g <- run(sprintf(paste0(
      'local({ x <- pair$value.%s - pair$value.%s; n <- length(x); df <- n - 1; d <- mean(x) / sd(x); ',
      'J <- exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2)); t <- d * sqrt(n); ',
      'f <- function(ncp, p) pt(t, df, ncp) - p; ',
      'lo <- uniroot(f, c(t - 50, t + 50), p = 0.975, tol = 1e-14)$root; ',
      'hi <- uniroot(f, c(t - 50, t + 50), p = 0.025, tol = 1e-14)$root; ',
      'c(d = d, J = J, g = J * d, ci_low = J * lo / sqrt(n), ci_high = J * hi / sqrt(n)) })'), last, first))
    for (k in names(g)) say(paste0("est.g.", k), g[[k]])
  }

  # Linear mixed model on all available rows, time only.
  if (name != "one_by_four_few") {
    run('options(contrasts = c("contr.sum", "contr.poly"))')
    lfit <- run('lme4::lmer(value ~ time + (1 | participant_id), data = d, REML = TRUE)')
    assign("lfit", lfit, envir = globalenv())
    a <- run('car::Anova(lfit, type = 3)')
    say("lmm.chi2", a["time", "Chisq"]); say("lmm.df", a["time", "Df"]); say("lmm.p", a["time", "Pr(>Chisq)"])
    say("lmm.var_subject", as.data.frame(VarCorr(lfit))$vcov[1])
    say("lmm.var_residual", sigma(lfit)^2); say("lmm.reml", unname(REMLcrit(lfit)))
    em <- as.data.frame(run('emmeans::emmeans(lfit, ~ time, lmer.df = "asymptotic")'))
    for (i in seq_len(nrow(em))) {
      say(paste0("lmm.emmean.", em$time[i]), em$emmean[i]); say(paste0("lmm.se.", em$time[i]), em$SE[i])
    }
    run('options(contrasts = c("contr.treatment", "contr.poly"))')
  }
}
