# Reference values for trialflow's baseline tests (trialflow.stats.baseline, via
# trialflow.analysis.describe_baseline), pinned in tests/test_baseline.py.
#
# Usage (from the repository root):
#   Rscript tests/data/baseline/reference.R > tests/data/baseline/reference_output.txt
#
# Reads participants.csv (same directory: 36 participants in arms control 12, training 14,
# high 10; age and height numeric, height missing for P05 and P20; sex, site and an EDSS band
# categorical, the band with a configured level ">6" that nobody has) and prints each number
# preceded by the exact R call, with format(x, digits = 15). "two": arms control and training;
# "three": all three arms.
#
# Produced with R 4.2.2 (stats only).

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/data/baseline"

fmt <- function(x) format(x, digits = 15)
run <- function(call) {
  cat("\n# ", call, "\n", sep = "")
  suppressWarnings(eval(parse(text = call), envir = globalenv()))
}
say <- function(k, v) cat(sprintf("%s = %s\n", k, fmt(v)))

cat("R:", R.version.string, "\n")
d <- read.csv(file.path(here, "participants.csv"), stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("control", "training", "high"))
d$edss <- factor(d$edss, levels = c("0-2", "2.5-4", "4.5-6", ">6"))
two <- subset(d, arm != "high")
two$arm <- droplevels(two$arm)

for (v in c("age", "height")) {
  for (eq in c(TRUE, FALSE)) {
    r <- run(sprintf('t.test(two$%s[two$arm == "control"], two$%s[two$arm == "training"], var.equal = %s)', v, v, eq))
    key <- sprintf("two.%s.%s", v, if (eq) "student" else "welch")
    say(paste0(key, ".t"), unname(r$statistic)); say(paste0(key, ".df"), unname(r$parameter)); say(paste0(key, ".p"), r$p.value)
  }
  for (eq in c(TRUE, FALSE)) {
    r <- run(sprintf('oneway.test(%s ~ arm, data = d, var.equal = %s)', v, eq))
    key <- sprintf("three.%s.%s", v, if (eq) "anova" else "welch_anova")
    say(paste0(key, ".F"), unname(r$statistic)); say(paste0(key, ".df1"), unname(r$parameter[1]))
    say(paste0(key, ".df2"), unname(r$parameter[2])); say(paste0(key, ".p"), r$p.value)
  }
}
# The two-arm EDSS table keeps the empty level ">6" (a zero row): chi-square NaN, Fisher's p
# as without the row.
for (set in c("two", "d")) for (v in c("sex", "site", "edss")) {
  tab <- run(sprintf('tab <- table(%s$%s, %s$arm)', set, v, set))
  print(tab)
  r <- run('chisq.test(tab, correct = FALSE)')
  key <- sprintf("%s.%s", if (set == "d") "three" else "two", v)
  say(paste0(key, ".chisq"), unname(r$statistic)); say(paste0(key, ".chisq_df"), unname(r$parameter))
  say(paste0(key, ".chisq_p"), r$p.value)
  r <- run('fisher.test(tab)')
  say(paste0(key, ".fisher_p"), r$p.value)
}
# Fisher's exact test on larger r x c tables (scipy 1.17's fisher_exact simulates these).
r <- run('fisher.test(matrix(c(3, 1, 4, 1, 5, 9), nrow = 2, byrow = TRUE))'); say("rxc.2x3.fisher_p", r$p.value)
r <- run('fisher.test(matrix(c(2, 7, 1, 8, 2, 8, 1, 8, 2), nrow = 3, byrow = TRUE))'); say("rxc.3x3.fisher_p", r$p.value)
r <- run('fisher.test(matrix(c(17, 17, 10, 12, 10, 13, 10, 11, 16, 9, 12, 13), nrow = 3, byrow = TRUE))'); say("rxc.3x4.fisher_p", r$p.value)
r <- run('fisher.test(matrix(c(3, 1, 1, 5), nrow = 2, byrow = TRUE))'); say("rxc.2x2.fisher_p", r$p.value)
