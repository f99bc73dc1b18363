# Reference values for trialflow's mixed (split-plot) ANOVA and assumption tests.
#
# Usage (from the repository root):
#   Rscript tests/data/anova/reference.R > /tmp/anova_reference.txt
#
# Reads the CSVs written by make_datasets.py (same directory) and prints, for
# each data set, every number pinned in tests/test_reference_r.py, preceded by
# the exact R call that produced it. All numbers are printed with
# format(x, digits = 15) so the Python tests can compare at rel = 1e-6.
#
# Produced with R 4.x, afex 1.2-1, car 3.1-1 (Debian r-cran-* packages).

suppressPackageStartupMessages({
  library(afex)
  library(car)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
data_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/data/anova"

fmt <- function(x) format(x, digits = 15)

say <- function(key, value) cat(sprintf("%s = %s\n", key, fmt(value)))

datasets <- list(
  two_by_two_equal = c("pre", "post"),
  two_by_two_unequal = c("pre", "post"),
  three_by_four_unequal_missing = c("t1", "t2", "t3", "t4"),
  two_by_three = c("pre", "mid", "post")
)

cat("R:", R.version.string, "| afex", format(packageVersion("afex")),
    "| car", format(packageVersion("car")), "\n")

for (name in names(datasets)) {
  time_levels <- datasets[[name]]
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  # Keep the natural visit order (afex would otherwise sort levels
  # alphabetically; the statistics are invariant, but the output reads better).
  d$time <- factor(d$time, levels = time_levels)
  d$arm <- factor(d$arm)
  d$participant_id <- factor(d$participant_id)

  cat("\n==================== ", name, " ====================\n", sep = "")
  cat("rows:", nrow(d), " participants:", nlevels(d$participant_id), "\n")

  # afex drops (with a warning) participants that lack any within-level.
  fit_call <- 'afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm", within = "time", type = 3, anova_table = list(es = "pes", correction = "none"))'
  fit <- suppressWarnings(eval(parse(text = fit_call)))
  dropped <- attr(fit, "incomplete_cases")
  cat("afex dropped (incomplete cases):",
      if (length(dropped)) paste(sort(as.character(dropped)), collapse = ", ") else "none", "\n")
  used_ids <- as.character(unique(fit$data$long$participant_id))
  cat("participants used per arm:\n")
  print(table(unique(fit$data$long[, c("participant_id", "arm")])$arm))

  tabs <- list(
    none = anova(fit, es = "pes", correction = "none"),
    GG = anova(fit, es = "pes", correction = "GG"),
    HF = anova(fit, es = "pes", correction = "HF")
  )
  s <- suppressWarnings(summary(fit$Anova, multivariate = FALSE))
  uni <- s$univariate.tests
  adj <- s$pval.adjustments
  sph <- s$sphericity.tests

  cat("\n# ", fit_call, "\n", sep = "")
  cat("# (GG/HF rows: same call with correction = \"GG\" / \"HF\";",
      "SS, error SS, eps and Mauchly from summary(fit$Anova, multivariate = FALSE))\n")
  for (eff in c("arm", "time", "arm:time")) {
    p <- function(k, v) say(paste0(name, ".", eff, ".", k), v)
    p("ss", uni[eff, "Sum Sq"])
    p("ss_error", uni[eff, "Error SS"])
    p("df1", uni[eff, "num Df"])
    p("df2", uni[eff, "den Df"])
    p("F", tabs$none[eff, "F"])
    p("p", tabs$none[eff, "Pr(>F)"])
    p("pes", tabs$none[eff, "pes"])
    # car leaves epsilons NA (and afex applies no correction) for between
    # effects and for within effects with 1 df; Mauchly is likewise absent.
    if (eff %in% rownames(adj) && !is.na(adj[eff, "GG eps"])) {
      p("eps_gg", adj[eff, "GG eps"])
      p("eps_hf", adj[eff, "HF eps"])
      p("p_gg", tabs$GG[eff, "Pr(>F)"])
      p("p_hf", tabs$HF[eff, "Pr(>F)"])
      p("df1_gg", tabs$GG[eff, "num Df"])
      p("df2_gg", tabs$GG[eff, "den Df"])
      p("df1_hf", tabs$HF[eff, "num Df"])
      p("df2_hf", tabs$HF[eff, "den Df"])
    } else {
      cat(sprintf("%s.%s.eps = (not reported by car/afex)\n", name, eff))
    }
    if (eff %in% rownames(sph)) {
      p("mauchly_w", sph[eff, "Test statistic"])
      p("mauchly_p", sph[eff, "p-value"])
    } else {
      cat(sprintf("%s.%s.mauchly = (not reported by car/afex)\n", name, eff))
    }
  }

  # Assumption tests. d_complete = the participants the ANOVA used;
  # d_all = every available row (differs only for the data set with missed visits).
  # The printed call is parsed and evaluated, so it is exactly what ran.
  d_complete <- d[d$participant_id %in% used_ids, ]
  d_all <- d
  subsets <- if (length(dropped)) c("complete", "all") else "complete"

  for (which in subsets) {
    for (t in time_levels) {
      call <- sprintf('car::leveneTest(value ~ arm, data = subset(d_%s, time == "%s"), center = mean)', which, t)
      cat("\n# ", call, "\n", sep = "")
      lt <- eval(parse(text = call))
      key <- paste0(name, ".levene.", which, ".", t)
      say(paste0(key, ".F"), lt[1, "F value"])
      say(paste0(key, ".df1"), lt[1, "Df"])
      say(paste0(key, ".df2"), lt[2, "Df"])
      say(paste0(key, ".p"), lt[1, "Pr(>F)"])
    }
    for (t in time_levels) {
      cells <- c(list(NULL), as.list(levels(d$arm)))  # NULL = all arms pooled
      for (a in cells) {
        x_expr <- if (is.null(a)) {
          sprintf('subset(d_%s, time == "%s")$value', which, t)
        } else {
          sprintf('subset(d_%s, time == "%s" & arm == "%s")$value', which, t, a)
        }
        call <- paste0("shapiro.test(", x_expr, ")")
        cat(sprintf("# %s   # n = %d\n", call, length(eval(parse(text = x_expr)))))
        sw <- eval(parse(text = call))
        key <- paste0(name, ".shapiro.", which, ".", t, if (!is.null(a)) paste0(".", a) else "")
        say(paste0(key, ".W"), unname(sw$statistic))
        say(paste0(key, ".p"), sw$p.value)
      }
    }
  }
}
