"""Pin trialflow's mixed (split-plot) ANOVA and assumption tests to values from R.

Every reference number in this file was printed by ``tests/data/anova/reference.R``
(R 4.2.2, afex 1.2-1, car 3.1-1) with ``format(x, digits = 15)``, from the CSVs
written by ``tests/data/anova/make_datasets.py``. The comment above each block is
the R call that produced it. If the data change, re-run both scripts and update
the numbers; nothing here is computed by Python code under test.

Mapping: afex's ``arm`` / ``time`` / ``arm:time`` rows are trialflow's
``group`` / ``time`` / ``interaction`` rows.

The ANOVA values are checked through the function the pipeline runs,
``mixed_anova_many``, as the pipeline runs it: several outcomes in one batch,
each on its own complete cases (see ``_batch``). ``mixed_anova``, the public
per-outcome function (a batch of one), is checked against the same values.

Conventions these numbers imply (all from ``car:::summary.Anova.mlm``, which
afex calls):

* Type-3 sums of squares with sum-to-zero contrasts, i.e. the time main effect
  is tested on *unweighted* arm means. In unbalanced designs this differs from
  a weighted (pingouin-style) time SS; the interaction SS is the same.
* Greenhouse-Geisser and Huynh-Feldt epsilons and Mauchly's test come from the
  pooled within-arm error SSP matrix (df = N - g) and are shared by ``time``
  and ``interaction``.
* HF epsilon = ((N - g + 1) * p * eps_gg - 2) / (p * (N - g - p * eps_gg)),
  p = number of time levels - 1 (the Lecoutre 1991 form). The reported epsilon
  is *not* capped (two_by_three pins 1.0837...), but the HF p value uses
  min(1, eps_hf).
* Mauchly's p includes the second-order term w2 exactly as car / stats::
  mauchly.test write it, with ``3 * k`` (k = number of time levels) where the
  textbook formula has ``3 * p``; on the 3 x 4 data set the textbook version
  differs by ~5e-4 relative, so it would fail at rel = 1e-6.
* afex drops participants who miss any visit (complete cases).

Levene and Shapiro-Wilk references exist for two row sets: ``complete`` = the
participants the ANOVA used (R: ``d_complete``), ``all`` = every available row
(R: ``d_all``; only for the data set with missed visits).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pandas as pd
import pytest

from trialflow.stats.anova import mixed_anova, mixed_anova_many
from trialflow.stats.assumptions import levene, shapiro
from trialflow.stats.complete import complete_cases

DATA_DIR = Path(__file__).parent / "data" / "anova"
REL = 1e-6
COLUMNS = [
    "effect",
    "ss",
    "ss_error",
    "df1",
    "df2",
    "F",
    "p",
    "pes",
    "eps_gg",
    "eps_hf",
    "p_gg",
    "p_hf",
    "mauchly_w",
    "mauchly_p",
]
SPHERICITY_COLUMNS = ["eps_gg", "eps_hf", "p_gg", "p_hf", "mauchly_w", "mauchly_p"]

# Visit order of each data set, as reference.R sets it (factor levels of time).
LEVELS = {
    "two_by_two_equal": ["pre", "post"],
    "two_by_two_unequal": ["pre", "post"],
    "three_by_four_unequal_missing": ["t1", "t2", "t3", "t4"],
    "two_by_three": ["pre", "mid", "post"],
}

# Participants afex::aov_ez dropped ("Missing values for following ID(s)").
AFEX_DROPPED = {"three_by_four_unequal_missing": ["P003", "P015", "P025", "P031"]}
# table(arm) of the participants afex used.
AFEX_ARM_SIZES = {
    "two_by_two_equal": {"control": 15, "training": 15},
    "two_by_two_unequal": {"control": 11, "training": 17},
    "three_by_four_unequal_missing": {"A": 8, "B": 11, "C": 12},
    "two_by_three": {"control": 10, "training": 13},
}

# In every R block below, reference.R also sets
#   d$time <- factor(d$time, levels = <visit order>); d$arm <- factor(d$arm)
# so output rows read in visit order; the statistics do not depend on level order.
ANOVA_REF = {
    # d <- read.csv("tests/data/anova/two_by_two_equal.csv")
    # fit <- afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm",
    #                     within = "time", type = 3,
    #                     anova_table = list(es = "pes", correction = "none"))
    # F, p, pes: anova(fit, es = "pes", correction = "none")
    # s <- summary(fit$Anova, multivariate = FALSE): ss, ss_error, df1, df2 from
    #   s$univariate.tests. Two time levels: car reports no epsilons/Mauchly (NA),
    #   so those columns are checked separately (test_two_level_within_is_trivially_spherical).
    "two_by_two_equal": {
        "group": {
            "ss": 119.317022016667,
            "ss_error": 2131.24590746667,
            "df1": 1,
            "df2": 28,
            "F": 1.56756975099032,
            "p": 0.220918342241073,
            "pes": 0.0530165233122624,
        },
        "time": {
            "ss": 329.993092016669,
            "ss_error": 453.389873333334,
            "df1": 1,
            "df2": 28,
            "F": 20.3793845427897,
            "p": 0.000104489800955861,
            "pes": 0.421241087198307,
        },
        "interaction": {
            "ss": 24.2278021499999,
            "ss_error": 453.389873333334,
            "df1": 1,
            "df2": 28,
            "F": 1.49623646247884,
            "p": 0.231446640613628,
            "pes": 0.050726351627339,
        },
    },
    # d <- read.csv("tests/data/anova/two_by_two_unequal.csv")
    # fit <- afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm",
    #                     within = "time", type = 3,
    #                     anova_table = list(es = "pes", correction = "none"))
    # F, p, pes: anova(fit, es = "pes", correction = "none")
    # s <- summary(fit$Anova, multivariate = FALSE): ss, ss_error, df1, df2 from
    #   s$univariate.tests. Two time levels: car reports no epsilons/Mauchly (NA),
    #   so those columns are checked separately (test_two_level_within_is_trivially_spherical).
    "two_by_two_unequal": {
        "group": {
            "ss": 162.527596219347,
            "ss_error": 746.914118834224,
            "df1": 1,
            "df2": 26,
            "F": 5.6575681127818,
            "p": 0.0250122929003041,
            "pes": 0.178711393516596,
        },
        "time": {
            "ss": 35.8528965890947,
            "ss_error": 220.254075893048,
            "df1": 1,
            "df2": 26,
            "F": 4.23227269478142,
            "p": 0.0498223328721131,
            "pes": 0.139991880117964,
        },
        "interaction": {
            "ss": 7.73317344623761,
            "ss_error": 220.254075893048,
            "df1": 1,
            "df2": 26,
            "F": 0.912866237716348,
            "p": 0.348154880477291,
            "pes": 0.0339193242983921,
        },
    },
    # d <- read.csv("tests/data/anova/three_by_four_unequal_missing.csv")
    # fit <- afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm",
    #                     within = "time", type = 3,
    #                     anova_table = list(es = "pes", correction = "none"))
    # F, p, pes: anova(fit, es = "pes", correction = "none")
    # p_gg / p_hf: anova(fit, es = "pes", correction = "GG") / (..., correction = "HF")
    # s <- summary(fit$Anova, multivariate = FALSE): ss, ss_error, df1, df2 from
    #   s$univariate.tests; eps_gg, eps_hf from s$pval.adjustments; mauchly_w, mauchly_p
    #   from s$sphericity.tests
    # afex dropped participants P003, P015, P025, P031 (missed visits); arm sizes used 8/11/12.
    "three_by_four_unequal_missing": {
        "group": {
            "ss": 360.230864848362,
            "ss_error": 288.793382087121,
            "df1": 2,
            "df2": 28,
            "F": 17.4631152259426,
            "p": 1.19280213711221e-05,
            "pes": 0.55503452536523,
        },
        "time": {
            "ss": 386.065228333094,
            "ss_error": 142.04870682197,
            "df1": 3,
            "df2": 84,
            "F": 76.0994354343165,
            "p": 7.07205171020092e-24,
            "pes": 0.731026399104084,
            "eps_gg": 0.584551542062224,
            "eps_hf": 0.62047983523779,
            "p_gg": 6.39569372368552e-15,
            "p_hf": 1.07002374216091e-15,
            "mauchly_w": 0.305331487137499,
            "mauchly_p": 6.94850688300283e-06,
        },
        "interaction": {
            "ss": 174.186151274804,
            "ss_error": 142.04870682197,
            "df1": 6,
            "df2": 84,
            "F": 17.1673940045338,
            "p": 7.52173408675988e-13,
            "pes": 0.550812621742983,
            "eps_gg": 0.584551542062224,
            "eps_hf": 0.62047983523779,
            "p_gg": 2.38306039458893e-08,
            "p_hf": 9.67766906862701e-09,
            "mauchly_w": 0.305331487137499,
            "mauchly_p": 6.94850688300283e-06,
        },
    },
    # d <- read.csv("tests/data/anova/two_by_three.csv")
    # fit <- afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm",
    #                     within = "time", type = 3,
    #                     anova_table = list(es = "pes", correction = "none"))
    # F, p, pes: anova(fit, es = "pes", correction = "none")
    # p_gg / p_hf: anova(fit, es = "pes", correction = "GG") / (..., correction = "HF")
    # s <- summary(fit$Anova, multivariate = FALSE): ss, ss_error, df1, df2 from
    #   s$univariate.tests; eps_gg, eps_hf from s$pval.adjustments; mauchly_w, mauchly_p
    #   from s$sphericity.tests
    "two_by_three": {
        "group": {
            "ss": 13.6332318840579,
            "ss_error": 700.660753333334,
            "df1": 1,
            "df2": 21,
            "F": 0.408611254738015,
            "p": 0.529586890112134,
            "pes": 0.0190863036315625,
        },
        "time": {
            "ss": 66.1983550722401,
            "ss_error": 62.5649554205129,
            "df1": 2,
            "df2": 42,
            "F": 22.2195548158459,
            "p": 2.61408146717936e-07,
            "pes": 0.51410883130382,
            "eps_gg": 0.983085512391526,
            "eps_hf": 1.08374837766338,
            "p_gg": 3.20985069083163e-07,
            "p_hf": 2.61408146717936e-07,
            "mauchly_w": 0.982794490005933,
            "mauchly_p": 0.840673058591855,
        },
        "interaction": {
            "ss": 46.0939823186177,
            "ss_error": 62.5649554205129,
            "df1": 2,
            "df2": 42,
            "F": 15.471498735754,
            "p": 9.23803010679819e-06,
            "pes": 0.424207923229294,
            "eps_gg": 0.983085512391526,
            "eps_hf": 1.08374837766338,
            "p_gg": 1.07112869834589e-05,
            "p_hf": 9.23803010679819e-06,
            "mauchly_w": 0.982794490005933,
            "mauchly_p": 0.840673058591855,
        },
    },
}

LEVENE_REF = {
    ("two_by_two_equal", "complete"): {
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "pre"), center = mean)
        "pre": {"statistic": 0.187800880305421, "df1": 1, "df2": 28, "p": 0.668073642727724},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "post"), center = mean)
        "post": {"statistic": 0.00611810582907907, "df1": 1, "df2": 28, "p": 0.938210694707178},
    },
    ("two_by_two_unequal", "complete"): {
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "pre"), center = mean)
        "pre": {"statistic": 1.73334850224073, "df1": 1, "df2": 26, "p": 0.199472042647305},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "post"), center = mean)
        "post": {"statistic": 1.31568927763919, "df1": 1, "df2": 26, "p": 0.261813366288019},
    },
    ("three_by_four_unequal_missing", "complete"): {
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "t1"), center = mean)
        "t1": {"statistic": 5.14353003532953, "df1": 2, "df2": 28, "p": 0.0125165363034346},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "t2"), center = mean)
        "t2": {"statistic": 4.47247529921237, "df1": 2, "df2": 28, "p": 0.0206272425992438},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "t3"), center = mean)
        "t3": {"statistic": 3.92014702334683, "df1": 2, "df2": 28, "p": 0.0315508120265248},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "t4"), center = mean)
        "t4": {"statistic": 2.51340387577075, "df1": 2, "df2": 28, "p": 0.0991014618371359},
    },
    ("three_by_four_unequal_missing", "all"): {
        # car::leveneTest(value ~ arm, data = subset(d_all, time == "t1"), center = mean)
        "t1": {"statistic": 4.09576908719429, "df1": 2, "df2": 32, "p": 0.0260762787021748},
        # car::leveneTest(value ~ arm, data = subset(d_all, time == "t2"), center = mean)
        "t2": {"statistic": 4.61387956496498, "df1": 2, "df2": 30, "p": 0.017902608797911},
        # car::leveneTest(value ~ arm, data = subset(d_all, time == "t3"), center = mean)
        "t3": {"statistic": 3.98353365442608, "df1": 2, "df2": 31, "p": 0.0288596837863248},
        # car::leveneTest(value ~ arm, data = subset(d_all, time == "t4"), center = mean)
        "t4": {"statistic": 2.64271205795246, "df1": 2, "df2": 30, "p": 0.0876776080494867},
    },
    ("two_by_three", "complete"): {
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "pre"), center = mean)
        "pre": {"statistic": 0.0116858655251759, "df1": 1, "df2": 21, "p": 0.914941636911064},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "mid"), center = mean)
        "mid": {"statistic": 0.166823227786563, "df1": 1, "df2": 21, "p": 0.687085536158072},
        # car::leveneTest(value ~ arm, data = subset(d_complete, time == "post"), center = mean)
        "post": {"statistic": 0.545111399457877, "df1": 1, "df2": 21, "p": 0.468493617604829},
    },
}

SHAPIRO_REF = {
    ("two_by_two_equal", "complete"): {
        # shapiro.test(subset(d_complete, time == "pre")$value)   # n = 30
        ("pre", None): {"statistic": 0.9727625094163, "p": 0.617187719180058},
        # shapiro.test(subset(d_complete, time == "pre" & arm == "control")$value)   # n = 15
        ("pre", "control"): {"statistic": 0.955209718018901, "p": 0.609856622354856},
        # shapiro.test(subset(d_complete, time == "pre" & arm == "training")$value)   # n = 15
        ("pre", "training"): {"statistic": 0.944585352539123, "p": 0.443528983491295},
        # shapiro.test(subset(d_complete, time == "post")$value)   # n = 30
        ("post", None): {"statistic": 0.973999178664272, "p": 0.653276608222493},
        # shapiro.test(subset(d_complete, time == "post" & arm == "control")$value)   # n = 15
        ("post", "control"): {"statistic": 0.938497109780088, "p": 0.363848444088363},
        # shapiro.test(subset(d_complete, time == "post" & arm == "training")$value)   # n = 15
        ("post", "training"): {"statistic": 0.940786519555192, "p": 0.392363455112285},
    },
    ("two_by_two_unequal", "complete"): {
        # shapiro.test(subset(d_complete, time == "pre")$value)   # n = 28
        ("pre", None): {"statistic": 0.970590130444442, "p": 0.596498676698212},
        # shapiro.test(subset(d_complete, time == "pre" & arm == "control")$value)   # n = 11
        ("pre", "control"): {"statistic": 0.935535723164892, "p": 0.469518674629731},
        # shapiro.test(subset(d_complete, time == "pre" & arm == "training")$value)   # n = 17
        ("pre", "training"): {"statistic": 0.935159137142297, "p": 0.265163223545884},
        # shapiro.test(subset(d_complete, time == "post")$value)   # n = 28
        ("post", None): {"statistic": 0.98987398312204, "p": 0.992645906569663},
        # shapiro.test(subset(d_complete, time == "post" & arm == "control")$value)   # n = 11
        ("post", "control"): {"statistic": 0.954259860376094, "p": 0.698661850791481},
        # shapiro.test(subset(d_complete, time == "post" & arm == "training")$value)   # n = 17
        ("post", "training"): {"statistic": 0.952118051022017, "p": 0.490869661763994},
    },
    ("three_by_four_unequal_missing", "complete"): {
        # shapiro.test(subset(d_complete, time == "t1")$value)   # n = 31
        ("t1", None): {"statistic": 0.978458495241497, "p": 0.768545231127218},
        # shapiro.test(subset(d_complete, time == "t1" & arm == "A")$value)   # n = 8
        ("t1", "A"): {"statistic": 0.880373098017389, "p": 0.189881523658566},
        # shapiro.test(subset(d_complete, time == "t1" & arm == "B")$value)   # n = 11
        ("t1", "B"): {"statistic": 0.952495397480194, "p": 0.675962566100981},
        # shapiro.test(subset(d_complete, time == "t1" & arm == "C")$value)   # n = 12
        ("t1", "C"): {"statistic": 0.936577487055142, "p": 0.45504640023599},
        # shapiro.test(subset(d_complete, time == "t2")$value)   # n = 31
        ("t2", None): {"statistic": 0.913654879815533, "p": 0.0160755124266828},
        # shapiro.test(subset(d_complete, time == "t2" & arm == "A")$value)   # n = 8
        ("t2", "A"): {"statistic": 0.921374312601466, "p": 0.441114142234047},
        # shapiro.test(subset(d_complete, time == "t2" & arm == "B")$value)   # n = 11
        ("t2", "B"): {"statistic": 0.932437393989717, "p": 0.436033623784925},
        # shapiro.test(subset(d_complete, time == "t2" & arm == "C")$value)   # n = 12
        ("t2", "C"): {"statistic": 0.946666671914318, "p": 0.588878524565119},
        # shapiro.test(subset(d_complete, time == "t3")$value)   # n = 31
        ("t3", None): {"statistic": 0.94720828169936, "p": 0.130687359752056},
        # shapiro.test(subset(d_complete, time == "t3" & arm == "A")$value)   # n = 8
        ("t3", "A"): {"statistic": 0.926947479465507, "p": 0.488718971335067},
        # shapiro.test(subset(d_complete, time == "t3" & arm == "B")$value)   # n = 11
        ("t3", "B"): {"statistic": 0.86814203123688, "p": 0.0733701097986059},
        # shapiro.test(subset(d_complete, time == "t3" & arm == "C")$value)   # n = 12
        ("t3", "C"): {"statistic": 0.922582236019035, "p": 0.308032082100948},
        # shapiro.test(subset(d_complete, time == "t4")$value)   # n = 31
        ("t4", None): {"statistic": 0.973834909764689, "p": 0.629749843856991},
        # shapiro.test(subset(d_complete, time == "t4" & arm == "A")$value)   # n = 8
        ("t4", "A"): {"statistic": 0.919959277496604, "p": 0.429533123058163},
        # shapiro.test(subset(d_complete, time == "t4" & arm == "B")$value)   # n = 11
        ("t4", "B"): {"statistic": 0.813507492648725, "p": 0.0141665966488044},
        # shapiro.test(subset(d_complete, time == "t4" & arm == "C")$value)   # n = 12
        ("t4", "C"): {"statistic": 0.930603909557239, "p": 0.386556955324231},
    },
    ("three_by_four_unequal_missing", "all"): {
        # shapiro.test(subset(d_all, time == "t1")$value)   # n = 35
        ("t1", None): {"statistic": 0.979360637530361, "p": 0.738249140338804},
        # shapiro.test(subset(d_all, time == "t1" & arm == "A")$value)   # n = 9
        ("t1", "A"): {"statistic": 0.868826897609143, "p": 0.119442372774697},
        # shapiro.test(subset(d_all, time == "t1" & arm == "B")$value)   # n = 12
        ("t1", "B"): {"statistic": 0.96181570663287, "p": 0.809405821684254},
        # shapiro.test(subset(d_all, time == "t1" & arm == "C")$value)   # n = 14
        ("t1", "C"): {"statistic": 0.948394976076102, "p": 0.536076316144283},
        # shapiro.test(subset(d_all, time == "t2")$value)   # n = 33
        ("t2", None): {"statistic": 0.90534041374292, "p": 0.0073499429389666},
        # shapiro.test(subset(d_all, time == "t2" & arm == "A")$value)   # n = 9
        ("t2", "A"): {"statistic": 0.92901008667721, "p": 0.471977462367187},
        # shapiro.test(subset(d_all, time == "t2" & arm == "B")$value)   # n = 11
        ("t2", "B"): {"statistic": 0.932437393989717, "p": 0.436033623784925},
        # shapiro.test(subset(d_all, time == "t2" & arm == "C")$value)   # n = 13
        ("t2", "C"): {"statistic": 0.934601600575906, "p": 0.390884823083331},
        # shapiro.test(subset(d_all, time == "t3")$value)   # n = 34
        ("t3", None): {"statistic": 0.949457352475126, "p": 0.118275843418581},
        # shapiro.test(subset(d_all, time == "t3" & arm == "A")$value)   # n = 9
        ("t3", "A"): {"statistic": 0.899929107584989, "p": 0.251587379587487},
        # shapiro.test(subset(d_all, time == "t3" & arm == "B")$value)   # n = 12
        ("t3", "B"): {"statistic": 0.857696339503068, "p": 0.0457492153704155},
        # shapiro.test(subset(d_all, time == "t3" & arm == "C")$value)   # n = 13
        ("t3", "C"): {"statistic": 0.929739757343805, "p": 0.338160452490717},
        # shapiro.test(subset(d_all, time == "t4")$value)   # n = 33
        ("t4", None): {"statistic": 0.976361300030743, "p": 0.672201738337888},
        # shapiro.test(subset(d_all, time == "t4" & arm == "A")$value)   # n = 8
        ("t4", "A"): {"statistic": 0.919959277496604, "p": 0.429533123058163},
        # shapiro.test(subset(d_all, time == "t4" & arm == "B")$value)   # n = 12
        ("t4", "B"): {"statistic": 0.86530889006589, "p": 0.0570051182194399},
        # shapiro.test(subset(d_all, time == "t4" & arm == "C")$value)   # n = 13
        ("t4", "C"): {"statistic": 0.971232647327653, "p": 0.908539025980391},
    },
    ("two_by_three", "complete"): {
        # shapiro.test(subset(d_complete, time == "pre")$value)   # n = 23
        ("pre", None): {"statistic": 0.970947275798692, "p": 0.711672292199548},
        # shapiro.test(subset(d_complete, time == "pre" & arm == "control")$value)   # n = 10
        ("pre", "control"): {"statistic": 0.981922035952908, "p": 0.97461823908208},
        # shapiro.test(subset(d_complete, time == "pre" & arm == "training")$value)   # n = 13
        ("pre", "training"): {"statistic": 0.964641559663851, "p": 0.823213802727443},
        # shapiro.test(subset(d_complete, time == "mid")$value)   # n = 23
        ("mid", None): {"statistic": 0.960550120426162, "p": 0.474565911485187},
        # shapiro.test(subset(d_complete, time == "mid" & arm == "control")$value)   # n = 10
        ("mid", "control"): {"statistic": 0.942905146055538, "p": 0.585769035676122},
        # shapiro.test(subset(d_complete, time == "mid" & arm == "training")$value)   # n = 13
        ("mid", "training"): {"statistic": 0.964415124218148, "p": 0.819950637530271},
        # shapiro.test(subset(d_complete, time == "post")$value)   # n = 23
        ("post", None): {"statistic": 0.939710301231431, "p": 0.177158198168842},
        # shapiro.test(subset(d_complete, time == "post" & arm == "control")$value)   # n = 10
        ("post", "control"): {"statistic": 0.953512005535827, "p": 0.710114169326438},
        # shapiro.test(subset(d_complete, time == "post" & arm == "training")$value)   # n = 13
        ("post", "training"): {"statistic": 0.934113504539588, "p": 0.385303870877226},
    },
}


def _load(name: str) -> pd.DataFrame:
    # Read ids and labels as strings so nothing is coerced (e.g. "t1" stays "t1").
    return pd.read_csv(
        DATA_DIR / f"{name}.csv",
        dtype={"participant_id": str, "arm": str, "time": str, "value": float},
    )


def _complete_rows(d: pd.DataFrame) -> pd.DataFrame:
    """Rows of participants seen at every time point (afex's complete cases).

    Done here rather than with ``complete_cases`` so the ANOVA and assumption
    tests do not depend on that function being right (it has its own tests).
    """
    visits = d.groupby("participant_id")["time"].nunique()
    keep = visits.index[visits == d["time"].nunique()]
    return d[d["participant_id"].isin(keep)].reset_index(drop=True)


# Each data set is analysed by one mixed_anova_many call per visit design, as the pipeline
# analyses a trial's outcomes: the batch holds, for every data set with these visits,
#   * the data set as afex got it (participants with a missed visit included; the batch
#     leaves them out of that outcome, as afex did);
#   * an affine copy, value * SCALE + SHIFT: F, p, pes, the epsilons, the corrected p and
#     Mauchly's W and p do not change, the sums of squares scale by SCALE**2, so the copy is
#     pinned to the same R values;
#   * a copy without its first seven rows and with other values: not pinned, there so the
#     outcomes of a batch have different complete cases.
# Participant ids are prefixed with the data set's name: data sets that share a batch
# (the two 2 x 2 ones) share no participant, and each has no value for the other's outcomes.
SCALE, SHIFT = 1000.0, 5.0


@functools.cache
def _batch(levels: tuple[str, ...]) -> pd.DataFrame:
    parts = []
    for name in [n for n, lv in LEVELS.items() if tuple(lv) == levels]:
        d = _load(name)
        d["participant_id"] = name + ":" + d["participant_id"]
        parts += [
            d.assign(outcome=name),
            d.assign(outcome=f"{name} affine", value=d["value"] * SCALE + SHIFT),
            d.iloc[7:].assign(outcome=f"{name} other", value=lambda f: f["value"][::-1].to_numpy() * 0.1),
        ]
    data = pd.concat(parts, ignore_index=True)
    return mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", list(levels))


def _anova(name: str, copy: str = "") -> pd.DataFrame:
    """The rows of outcome ``name`` (or of its copy ``name + " " + copy``) in its batch."""
    batch = _batch(tuple(LEVELS[name]))
    rows = batch[batch["outcome"] == (f"{name} {copy}" if copy else name)]
    assert len(rows) == 3
    return rows.drop(columns="outcome").set_index("effect")


def _row_set(name: str, which: str) -> pd.DataFrame:
    d = _load(name)
    return _complete_rows(d) if which == "complete" else d


# --- mixed ANOVA -------------------------------------------------------------

ANOVA_CASES = [
    pytest.param(ds, effect, quantity, expected, id=f"{ds}-{effect}-{quantity}")
    for ds, effects in ANOVA_REF.items()
    for effect, quantities in effects.items()
    for quantity, expected in quantities.items()
]


@pytest.mark.parametrize(("dataset", "effect", "quantity", "expected"), ANOVA_CASES)
def test_mixed_anova_matches_afex(dataset, effect, quantity, expected):
    got = _anova(dataset).loc[effect, quantity]
    assert got == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize(("dataset", "effect", "quantity", "expected"), ANOVA_CASES)
def test_affine_copy_in_the_same_batch_matches_afex(dataset, effect, quantity, expected):
    # value * SCALE + SHIFT: sums of squares scale by SCALE**2, nothing else changes.
    got = _anova(dataset, "affine").loc[effect, quantity]
    factor = SCALE**2 if quantity in ("ss", "ss_error") else 1.0
    assert got == pytest.approx(expected * factor, rel=REL)


@pytest.mark.parametrize("levels", sorted({tuple(lv) for lv in LEVELS.values()}))
def test_each_batch_has_outcomes_with_different_complete_cases(levels):
    df2 = _batch(levels).query("effect == 'group'").set_index("outcome")["df2"]
    for name in [n for n, lv in LEVELS.items() if tuple(lv) == levels]:
        assert df2[name] == df2[f"{name} affine"] != df2[f"{name} other"]


@pytest.mark.parametrize("dataset", list(ANOVA_REF))
def test_per_outcome_mixed_anova_matches_afex(dataset):
    # mixed_anova, the per-outcome function (analyse_outcome's fallback), on complete rows.
    res = mixed_anova(
        _complete_rows(_load(dataset)),
        dv="value",
        within="time",
        between="arm",
        subject="participant_id",
    ).set_index("effect")
    for effect, quantities in ANOVA_REF[dataset].items():
        for quantity, expected in quantities.items():
            assert res.loc[effect, quantity] == pytest.approx(expected, rel=REL), (effect, quantity)
    assert res.loc["group", SPHERICITY_COLUMNS].isna().all()


@pytest.mark.parametrize("dataset", list(ANOVA_REF))
def test_mixed_anova_table_shape(dataset):
    res = _anova(dataset).reset_index()
    assert sorted(res["effect"]) == sorted(["group", "time", "interaction"])
    assert set(COLUMNS) <= set(res.columns)


@pytest.mark.parametrize("dataset", list(ANOVA_REF))
def test_group_row_has_no_sphericity_values(dataset):
    # Between-subject effects have no sphericity assumption; car gives NA.
    row = _anova(dataset).loc["group"]
    assert all(math.isnan(row[c]) for c in SPHERICITY_COLUMNS)


TWO_LEVEL = pytest.mark.parametrize("dataset", ["two_by_two_equal", "two_by_two_unequal"])
WITHIN_EFFECTS = pytest.mark.parametrize("effect", ["time", "interaction"])


@TWO_LEVEL
@WITHIN_EFFECTS
def test_two_level_within_needs_no_correction(dataset, effect):
    # With 2 time levels car/afex report no epsilon (NA) and apply no
    # correction; trialflow's convention is eps = 1, so corrected p = p.
    row = _anova(dataset).loc[effect]
    assert row["eps_gg"] == 1.0
    assert row["eps_hf"] == 1.0
    assert row["p_gg"] == pytest.approx(row["p"], rel=1e-12)
    assert row["p_hf"] == pytest.approx(row["p"], rel=1e-12)


@TWO_LEVEL
@WITHIN_EFFECTS
def test_two_level_within_mauchly_is_trivial_or_undefined(dataset, effect):
    # car/afex print no Mauchly test here (NA). W is identically 1 for one
    # contrast and the chi-square has 0 df, so the interface allows W in
    # {1.0, NaN} and p in {1.0, NaN}; anything else would be a computed value.
    row = _anova(dataset).loc[effect]
    for col in ("mauchly_w", "mauchly_p"):
        assert math.isnan(row[col]) or row[col] == 1.0, col


@pytest.mark.parametrize("effect", ["time", "interaction"])
def test_hf_epsilon_above_one_is_reported_uncapped_but_capped_in_p(effect):
    # two_by_three has eps_hf = 1.0837 (R warns "HF eps > 1 treated as 1"):
    # car reports the raw epsilon but computes Pr(>F[HF]) with min(1, eps).
    row = _anova("two_by_three").loc[effect]
    assert row["eps_hf"] > 1
    assert row["p_hf"] == pytest.approx(row["p"], rel=1e-12)


SPHERICAL_REF = [ds for ds, eff in ANOVA_REF.items() if "eps_gg" in eff["time"]]


@pytest.mark.parametrize("dataset", SPHERICAL_REF)
@pytest.mark.parametrize("effect", ["time", "interaction"])
def test_p_corrected_follows_the_auto_rule_on_afex_values(dataset, effect):
    # "auto": Greenhouse-Geisser when afex's GG epsilon < 0.75, else Huynh-Feldt; the corrected p
    # is then afex's anova(fit, correction = "GG") or (..., correction = "HF") p (pinned above).
    ref = ANOVA_REF[dataset][effect]
    row = _anova(dataset).loc[effect]
    rule = "gg" if ref["eps_gg"] < 0.75 else "hf"
    assert row["correction"] == rule
    assert row["p_corrected"] == pytest.approx(ref[f"p_{rule}"], rel=REL)
    for name in ("none", "gg", "hf"):
        res = mixed_anova(
            _complete_rows(_load(dataset)), "value", "time", "arm", "participant_id", sphericity=name
        ).set_index("effect")
        want = ref["p"] if name == "none" else ref[f"p_{name}"]
        assert (res.loc[effect, "correction"], res.loc[effect, "p_corrected"]) == (name, pytest.approx(want, rel=REL))


def test_the_auto_rule_is_exercised_both_ways():
    # three_by_four (GG epsilon 0.58 < 0.75) picks GG; two_by_three (0.98) picks HF.
    picks = {ds: "gg" if ANOVA_REF[ds]["time"]["eps_gg"] < 0.75 else "hf" for ds in SPHERICAL_REF}
    assert set(picks.values()) == {"gg", "hf"}


def test_mixed_anova_rejects_incomplete_data():
    # Never silently drops a participant: the pipeline names them (complete_cases) first.
    with pytest.raises(ValueError, match="every subject at every time point; use complete_cases first"):
        mixed_anova(
            _load("three_by_four_unequal_missing"),
            dv="value",
            within="time",
            between="arm",
            subject="participant_id",
        )


# --- complete cases ----------------------------------------------------------


@pytest.mark.parametrize("dataset", list(AFEX_ARM_SIZES))
def test_complete_cases_matches_afex(dataset):
    d = _load(dataset)
    complete, excluded = complete_cases(d, dv="value", within="time", subject="participant_id")
    assert sorted(excluded["participant_id"]) == AFEX_DROPPED.get(dataset, [])
    assert "reason" in excluded.columns
    sizes = complete.groupby("arm")["participant_id"].nunique().to_dict()
    assert sizes == AFEX_ARM_SIZES[dataset]
    assert len(complete) == sum(sizes.values()) * d["time"].nunique()


def test_anova_on_complete_cases_output_matches_afex():
    # The pipeline path: raw data -> complete_cases -> mixed_anova. afex was
    # given the raw data (with missed visits) and dropped the same participants.
    complete, _ = complete_cases(
        _load("three_by_four_unequal_missing"),
        dv="value",
        within="time",
        subject="participant_id",
    )
    res = mixed_anova(
        complete,
        dv="value",
        within="time",
        between="arm",
        subject="participant_id",
    ).set_index("effect")
    ref = ANOVA_REF["three_by_four_unequal_missing"]
    for effect in ("group", "time", "interaction"):
        assert res.loc[effect, "F"] == pytest.approx(ref[effect]["F"], rel=REL)
        assert res.loc[effect, "p"] == pytest.approx(ref[effect]["p"], rel=REL)


# --- Levene (mean-centred, i.e. the original Levene test) ---------------------

LEVENE_CASES = [
    pytest.param(ds, which, t, ref, id=f"{ds}-{which}-{t}")
    for (ds, which), by_time in LEVENE_REF.items()
    for t, ref in by_time.items()
]


@pytest.mark.parametrize(("dataset", "which", "time", "ref"), LEVENE_CASES)
def test_levene_matches_car(dataset, which, time, ref):
    rows = _row_set(dataset, which)
    got = levene(rows[rows["time"] == time], dv="value", group="arm", center="mean")
    for key, expected in ref.items():
        assert got[key] == pytest.approx(expected, rel=REL), key


# --- Shapiro-Wilk ------------------------------------------------------------

SHAPIRO_CASES = [
    pytest.param(ds, which, t, arm, ref, id=f"{ds}-{which}-{t}-{arm or 'pooled'}")
    for (ds, which), cells in SHAPIRO_REF.items()
    for (t, arm), ref in cells.items()
]


@pytest.mark.parametrize(("dataset", "which", "time", "arm", "ref"), SHAPIRO_CASES)
def test_shapiro_matches_r(dataset, which, time, arm, ref):
    rows = _row_set(dataset, which)
    mask = rows["time"] == time
    if arm is not None:
        mask &= rows["arm"] == arm
    # Row order is the CSV order, as in R's subset(); W does not depend on it.
    got = shapiro(rows.loc[mask, "value"].to_numpy())
    assert got["statistic"] == pytest.approx(ref["statistic"], rel=REL)
    assert got["p"] == pytest.approx(ref["p"], rel=REL)
