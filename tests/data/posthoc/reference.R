# Reference values for trialflow.stats.posthoc.simple_effects, from emmeans on afex fits.
#
# Usage (from the repository root):
#   Rscript tests/data/posthoc/reference.R > tests/data/posthoc/reference_output.txt
#
# Reads the CSVs of tests/data/anova/ (written by make_datasets.py) and prints, per data set,
# per family (pairwise ~ time | arm, pairwise ~ arm | time) and per adjustment (bonferroni,
# holm), every contrast's estimate, SE, df, t ratio, unadjusted p, adjusted p and unadjusted
# 95 % confidence limits, preceded by the exact R call. Numbers are printed with
# format(x, digits = 15) so tests/test_posthoc_reference.py can compare at rel = 1e-6.
#
# emmeans is told model = "multivariate" explicitly (afex 1.2-1's default, see
# afex_options("emmeans_model")): the SPSS-like model, where every contrast's standard error
# comes from the pooled within-arm covariance matrix of the repeated measures, df = N - arms.
# The "univariate" alternative (needs include_aov = TRUE) is printed at the end for comparison
# only; trialflow does not follow it.
#
# Produced with R 4.2.2, afex 1.2-1, emmeans 1.8.4-1 (Debian r-cran-* packages).

suppressPackageStartupMessages({
  library(afex)
  library(emmeans)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/data/posthoc"
data_dir <- file.path(dirname(here), "anova")

fmt <- function(x) format(x, digits = 15)

datasets <- list(
  two_by_two_unequal = c("pre", "post"),
  two_by_three = c("pre", "mid", "post"),
  three_by_four_unequal_missing = c("t1", "t2", "t3", "t4")
)

cat("R:", R.version.string, "| afex", format(packageVersion("afex")),
    "| emmeans", format(packageVersion("emmeans")), "\n")
cat("afex_options('emmeans_model') =", afex_options("emmeans_model"), "\n")

dump_contrasts <- function(name, family, adjust, call, model = "multivariate") {
  emm <- suppressMessages(eval(parse(text = call)))
  s_adj <- as.data.frame(summary(emm$contrasts))                        # p adjusted as in the call
  s_raw <- as.data.frame(summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE)))
  by <- if (family == "time") "arm" else "time"
  cat("\n# ", call, "\n", sep = "")
  cat("# unadjusted p and 95 % CI: summary(<contrasts>, adjust = \"none\", infer = c(TRUE, TRUE))\n")
  for (i in seq_len(nrow(s_raw))) {
    stopifnot(s_raw$contrast[i] == s_adj$contrast[i], s_raw[[by]][i] == s_adj[[by]][i])
    key <- sprintf("%s|%s|%s|%s|%s|%s", model, name, family, adjust, s_raw[[by]][i], s_raw$contrast[i])
    vals <- c(estimate = s_raw$estimate[i], se = s_raw$SE[i], df = s_raw$df[i], t = s_raw$t.ratio[i],
              p = s_raw$p.value[i], p_adj = s_adj$p.value[i],
              ci_low = s_raw$lower.CL[i], ci_high = s_raw$upper.CL[i])
    cat(key, paste(names(vals), vapply(unname(vals), fmt, ""), sep = "=", collapse = " "), "\n")
  }
}

for (name in names(datasets)) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  d$time <- factor(d$time, levels = datasets[[name]])
  d$arm <- factor(d$arm)
  d$participant_id <- factor(d$participant_id)
  cat("\n==================== ", name, " ====================\n", sep = "")
  fit_call <- 'afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm", within = "time", type = 3, include_aov = TRUE)'
  cat("# fit <- ", fit_call, "\n", sep = "")
  fit <- suppressWarnings(suppressMessages(eval(parse(text = fit_call))))
  cat("# participants used per arm: ",
      paste(names(table(fit$data$wide$arm)), table(fit$data$wide$arm), sep = " = ", collapse = ", "), "\n")
  for (model in c("multivariate", "univariate")) {
    for (adjust in c("bonferroni", "holm")) {
      dump_contrasts(name, "time", adjust, sprintf(
        'emmeans::emmeans(fit, pairwise ~ time | arm, adjust = "%s", model = "%s")', adjust, model), model)
      dump_contrasts(name, "arm", adjust, sprintf(
        'emmeans::emmeans(fit, pairwise ~ arm | time, adjust = "%s", model = "%s")', adjust, model), model)
    }
  }
}
