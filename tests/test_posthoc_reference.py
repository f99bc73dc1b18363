"""Pin ``trialflow.stats.posthoc.simple_effects`` to emmeans on afex fits.

Every reference number was printed by ``tests/data/posthoc/reference.R`` (R 4.2.2, afex 1.2-1,
emmeans 1.8.4-1; its full output is ``tests/data/posthoc/reference_output.txt``) with
``format(x, digits = 15)`` from the CSVs of ``tests/data/anova/``. In R::

    d <- read.csv("tests/data/anova/<name>.csv", stringsAsFactors = FALSE)
    d$time <- factor(d$time, levels = <visit order>); d$arm <- factor(d$arm)
    fit <- afex::aov_ez(id = "participant_id", dv = "value", data = d, between = "arm",
                        within = "time", type = 3, include_aov = TRUE)
    emm <- emmeans::emmeans(fit, pairwise ~ time | arm, adjust = "bonferroni", model = "multivariate")
    emm <- emmeans::emmeans(fit, pairwise ~ arm | time, adjust = "bonferroni", model = "multivariate")

afex drops the participants with a missed visit (P003, P015, P025, P031 of the 3 × 4 set), as
trialflow's ``complete_cases`` does; the pipeline path (complete_cases -> simple_effects) is
what is tested here.

Which emmeans model: afex 1.2-1's default (``afex_options("emmeans_model")``) is
``"multivariate"``; the calls above set it explicitly. That is the SPSS-like model: emmeans
works on the multivariate linear model of the k repeated measures, whose residual covariance
is pooled within arms with df = N − arms. A time contrast within an arm therefore has
SE² = (pooled variance of the difference scores) / n_arm, and an arm contrast at one time point
has SE² = (pooled variance at that time) · (1/n_a + 1/n_b), both with df = N − arms: exactly
trialflow's definition (it agrees to ~1e-13). The ``"univariate"`` model (aov with
Error(participant_id/time)) pools the error strata instead (e.g. two_by_three, arm at post:
SE 1.46402 on 24.82 Satterthwaite df instead of 1.48131 on 21 df); trialflow does not follow it.

Mapping: emmeans writes pairwise contrasts as earlier level minus later level ("pre - post",
"control - training"; arms in alphabetical factor order), trialflow as later minus earlier
("post - pre", "training - control"), so estimate, t and the confidence limits change sign
(and the limits swap); SE, df and p are the same. p values are adjusted within each ``by``
family (one arm's time comparisons, one time point's arm comparisons), as emmeans does.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from trialflow.stats.complete import complete_cases
from trialflow.stats.posthoc import simple_effects

DATA_DIR = Path(__file__).parent / "data" / "anova"
REL = 1e-6
LEVELS = {
    "two_by_two_unequal": ["pre", "post"],
    "two_by_three": ["pre", "mid", "post"],
    "three_by_four_unequal_missing": ["t1", "t2", "t3", "t4"],
}
FAMILY = {"time": "time within arm", "arm": "arm at time"}

EMMEANS_REF = {
    # fit <- afex::aov_ez(..., data = <tests/data/anova/two_by_two_unequal.csv>, ...)  (see module docstring)
    # emm <- emmeans::emmeans(fit, pairwise ~ time | arm, adjust = "bonferroni", model = "multivariate")
    #   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
    #   p_bonferroni: summary(emm$contrasts); p_holm: the same emmeans call with adjust = "holm"
    ("two_by_two_unequal", "time"): {
        ("control", "pre - post"): {
            "estimate": -0.877454545454544,
            "se": 1.24106337185431,
            "df": 26,
            "t": -0.707018324248435,
            "p": 0.48584411135398,
            "ci_low": -3.42849684152246,
            "ci_high": 1.67358775061337,
            "p_bonferroni": 0.48584411135398,
            "p_holm": 0.48584411135398,
        },
        ("training", "pre - post"): {
            "estimate": -2.39923529411765,
            "se": 0.998310962474418,
            "df": 26,
            "t": -2.40329454879559,
            "p": 0.0236762673881512,
            "ci_low": -4.45129286640371,
            "ci_high": -0.347177721831582,
            "p_bonferroni": 0.0236762673881512,
            "p_holm": 0.0236762673881512,
        },
    },
    # fit <- afex::aov_ez(..., data = <tests/data/anova/two_by_two_unequal.csv>, ...)  (see module docstring)
    # emm <- emmeans::emmeans(fit, pairwise ~ arm | time, adjust = "bonferroni", model = "multivariate")
    #   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
    #   p_bonferroni: summary(emm$contrasts); p_holm: the same emmeans call with adjust = "holm"
    ("two_by_two_unequal", "arm"): {
        ("pre", "control - training"): {
            "estimate": -2.72735294117647,
            "se": 1.53290354001808,
            "df": 26,
            "t": -1.77920715164132,
            "p": 0.0869004060488962,
            "ci_low": -5.87828129428352,
            "ci_high": 0.423575411930573,
            "p_bonferroni": 0.0869004060488962,
            "p_holm": 0.0869004060488962,
        },
        ("post", "control - training"): {
            "estimate": -4.24913368983958,
            "se": 1.79445731296622,
            "df": 26,
            "t": -2.36792129806409,
            "p": 0.0256082496032335,
            "ci_low": -7.93769352302963,
            "ci_high": -0.560573856649522,
            "p_bonferroni": 0.0256082496032335,
            "p_holm": 0.0256082496032335,
        },
    },
    # fit <- afex::aov_ez(..., data = <tests/data/anova/two_by_three.csv>, ...)  (see module docstring)
    # emm <- emmeans::emmeans(fit, pairwise ~ time | arm, adjust = "bonferroni", model = "multivariate")
    #   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
    #   p_bonferroni: summary(emm$contrasts); p_holm: the same emmeans call with adjust = "holm"
    ("two_by_three", "time"): {
        ("control", "pre - mid"): {
            "estimate": -0.359899999999985,
            "se": 0.579037880070706,
            "df": 21,
            "t": -0.621548282741085,
            "p": 0.540928245375172,
            "ci_low": -1.56407519201679,
            "ci_high": 0.844275192016821,
            "p_bonferroni": 1,
            "p_holm": 1,
        },
        ("control", "pre - post"): {
            "estimate": -0.462899999999983,
            "se": 0.537761768849953,
            "df": 21,
            "t": -0.860790087383735,
            "p": 0.399075358885953,
            "ci_low": -1.58123681966559,
            "ci_high": 0.655436819665626,
            "p_bonferroni": 1,
            "p_holm": 1,
        },
        ("control", "mid - post"): {
            "estimate": -0.102999999999998,
            "se": 0.518953264603365,
            "df": 21,
            "t": -0.198476446773527,
            "p": 0.844581198304055,
            "ci_low": -1.18222239383578,
            "ci_high": 0.976222393835788,
            "p_bonferroni": 1,
            "p_holm": 1,
        },
        ("training", "pre - mid"): {
            "estimate": -1.0293846153846,
            "se": 0.507849816198555,
            "df": 21,
            "t": -2.02694690940312,
            "p": 0.0555516668975014,
            "ci_low": -2.08551612419353,
            "ci_high": 0.026746893424318,
            "p_bonferroni": 0.166655000692504,
            "p_holm": 0.0555516668975014,
        },
        ("training", "pre - post"): {
            "estimate": -4.24676923076922,
            "se": 0.471648271846584,
            "df": 21,
            "t": -9.00410217584893,
            "p": 1.17654143165589e-08,
            "ci_low": -5.22761550674326,
            "ci_high": -3.26592295479518,
            "p_bonferroni": 3.52962429496766e-08,
            "p_holm": 3.52962429496766e-08,
        },
        ("training", "mid - post"): {
            "estimate": -3.21738461538461,
            "se": 0.455152122365944,
            "df": 21,
            "t": -7.0688116286489,
            "p": 5.64100277475142e-07,
            "ci_low": -4.16392527051402,
            "ci_high": -2.27084396025521,
            "p_bonferroni": 1.69230083242543e-06,
            "p_holm": 1.12820055495028e-06,
        },
    },
    # fit <- afex::aov_ez(..., data = <tests/data/anova/two_by_three.csv>, ...)  (see module docstring)
    # emm <- emmeans::emmeans(fit, pairwise ~ arm | time, adjust = "bonferroni", model = "multivariate")
    #   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
    #   p_bonferroni: summary(emm$contrasts); p_holm: the same emmeans call with adjust = "holm"
    ("two_by_three", "arm"): {
        ("pre", "control - training"): {
            "estimate": 0.587784615384619,
            "se": 1.39403634970939,
            "df": 21,
            "t": 0.421642244484625,
            "p": 0.677570942635678,
            "ci_low": -2.31127267752466,
            "ci_high": 3.4868419082939,
            "p_bonferroni": 0.677570942635678,
            "p_holm": 0.677570942635678,
        },
        ("mid", "control - training"): {
            "estimate": -0.0816999999999991,
            "se": 1.51409278514054,
            "df": 21,
            "t": -0.0539597049809701,
            "p": 0.95747731587672,
            "ci_low": -3.23042831818057,
            "ci_high": 3.06702831818057,
            "p_bonferroni": 0.95747731587672,
            "p_holm": 0.95747731587672,
        },
        ("post", "control - training"): {
            "estimate": -3.19608461538462,
            "se": 1.48131441546393,
            "df": 21,
            "t": -2.15760042703941,
            "p": 0.0426932544266056,
            "ci_low": -6.2766465821781,
            "ci_high": -0.115522648591129,
            "p_bonferroni": 0.0426932544266056,
            "p_holm": 0.0426932544266056,
        },
    },
    # fit <- afex::aov_ez(..., data = <tests/data/anova/three_by_four_unequal_missing.csv>, ...)  (see module docstring)
    # emm <- emmeans::emmeans(fit, pairwise ~ time | arm, adjust = "bonferroni", model = "multivariate")
    #   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
    #   p_bonferroni: summary(emm$contrasts); p_holm: the same emmeans call with adjust = "holm"
    ("three_by_four_unequal_missing", "time"): {
        ("A", "t1 - t2"): {
            "estimate": -0.511500000000001,
            "se": 0.37380812503185,
            "df": 28,
            "t": -1.36834906934251,
            "p": 0.182083383772118,
            "ci_low": -1.27721123297633,
            "ci_high": 0.25421123297633,
            "p_bonferroni": 1,
            "p_holm": 0.910416918860591,
        },
        ("A", "t1 - t3"): {
            "estimate": -1.0685,
            "se": 0.597095790598714,
            "df": 28,
            "t": -1.78949511422381,
            "p": 0.0843579219267315,
            "ci_low": -2.29159528179828,
            "ci_high": 0.154595281798285,
            "p_bonferroni": 0.506147531560389,
            "p_holm": 0.506147531560389,
        },
        ("A", "t1 - t4"): {
            "estimate": -1.17875000000001,
            "se": 0.908338379370839,
            "df": 28,
            "t": -1.29769921294801,
            "p": 0.204980297362125,
            "ci_low": -3.03939682346995,
            "ci_high": 0.681896823469937,
            "p_bonferroni": 1,
            "p_holm": 0.910416918860591,
        },
        ("A", "t2 - t3"): {
            "estimate": -0.556999999999999,
            "se": 0.446328192648975,
            "df": 28,
            "t": -1.24796060202736,
            "p": 0.222381335219753,
            "ci_low": -1.47126185740672,
            "ci_high": 0.357261857406726,
            "p_bonferroni": 1,
            "p_holm": 0.910416918860591,
        },
        ("A", "t2 - t4"): {
            "estimate": -0.667250000000006,
            "se": 0.764880148612233,
            "df": 28,
            "t": -0.872358893364715,
            "p": 0.390432170721473,
            "ci_low": -2.23403595903471,
            "ci_high": 0.8995359590347,
            "p_bonferroni": 1,
            "p_holm": 0.910416918860591,
        },
        ("A", "t3 - t4"): {
            "estimate": -0.110250000000007,
            "se": 0.656505174518353,
            "df": 28,
            "t": -0.167934700714115,
            "p": 0.867841771101706,
            "ci_low": -1.45503988810893,
            "ci_high": 1.23453988810892,
            "p_bonferroni": 1,
            "p_holm": 0.910416918860591,
        },
        ("B", "t1 - t2"): {
            "estimate": -1.08063636363636,
            "se": 0.318784640145352,
            "df": 28,
            "t": -3.38986333577315,
            "p": 0.00209660601692678,
            "ci_low": -1.73363709720473,
            "ci_high": -0.427635630067999,
            "p_bonferroni": 0.0125796361015607,
            "p_holm": 0.00419321203385355,
        },
        ("B", "t1 - t3"): {
            "estimate": -2.17309090909091,
            "se": 0.509205001154262,
            "df": 28,
            "t": -4.26761501588744,
            "p": 0.00020426046166473,
            "ci_low": -3.21615007009315,
            "ci_high": -1.13003174808866,
            "p_bonferroni": 0.00122556276998838,
            "p_holm": 0.000817041846658921,
        },
        ("B", "t1 - t4"): {
            "estimate": -4.46163636363637,
            "se": 0.774633572700628,
            "df": 28,
            "t": -5.75967337444675,
            "p": 3.50070140786663e-06,
            "ci_low": -6.0484013062307,
            "ci_high": -2.87487142104204,
            "p_bonferroni": 2.10042084471998e-05,
            "p_holm": 2.10042084471998e-05,
        },
        ("B", "t2 - t3"): {
            "estimate": -1.09245454545454,
            "se": 0.380629961609866,
            "df": 28,
            "t": -2.87012231205875,
            "p": 0.00772566074064446,
            "ci_low": -1.87213967719744,
            "ci_high": -0.312769413711644,
            "p_bonferroni": 0.0463539644438668,
            "p_holm": 0.00772566074064446,
        },
        ("B", "t2 - t4"): {
            "estimate": -3.381,
            "se": 0.652291982441256,
            "df": 28,
            "t": -5.18326162364642,
            "p": 1.68054898627284e-05,
            "ci_low": -4.71715955536845,
            "ci_high": -2.04484044463156,
            "p_bonferroni": 0.000100832939176371,
            "p_holm": 8.40274493136421e-05,
        },
        ("B", "t3 - t4"): {
            "estimate": -2.28854545454546,
            "se": 0.559869493993911,
            "df": 28,
            "t": -4.08764092185089,
            "p": 0.000332061642188208,
            "ci_low": -3.43538612451588,
            "ci_high": -1.14170478457504,
            "p_bonferroni": 0.00199236985312925,
            "p_holm": 0.000996184926564623,
        },
        ("C", "t1 - t2"): {
            "estimate": -2.98033333333333,
            "se": 0.305213056011509,
            "df": 28,
            "t": -9.76476357951395,
            "p": 1.62356177435168e-10,
            "ci_low": -3.60553393703646,
            "ci_high": -2.35513272963021,
            "p_bonferroni": 9.74137064611011e-10,
            "p_holm": 4.87068532305505e-10,
        },
        ("C", "t1 - t3"): {
            "estimate": -6.66441666666666,
            "se": 0.487526671510188,
            "df": 28,
            "t": -13.6698504022818,
            "p": 6.49466588095213e-14,
            "ci_low": -7.6630697824038,
            "ci_high": -5.66576355092953,
            "p_bonferroni": 3.89679952857128e-13,
            "p_holm": 3.89679952857128e-13,
        },
        ("C", "t1 - t4"): {
            "estimate": -8.59258333333334,
            "se": 0.741655181081721,
            "df": 28,
            "t": -11.585685036004,
            "p": 3.39703721985913e-12,
            "ci_low": -10.1117951030106,
            "ci_high": -7.07337156365609,
            "p_bonferroni": 2.03822233191548e-11,
            "p_holm": 1.69851860992956e-11,
        },
        ("C", "t2 - t3"): {
            "estimate": -3.68408333333333,
            "se": 0.36442544326954,
            "df": 28,
            "t": -10.109292315818,
            "p": 7.56730962998851e-11,
            "ci_low": -4.43057501397855,
            "ci_high": -2.93759165268811,
            "p_bonferroni": 4.54038577799311e-10,
            "p_holm": 3.0269238519954e-10,
        },
        ("C", "t2 - t4"): {
            "estimate": -5.61225,
            "se": 0.624522026161379,
            "df": 28,
            "t": -8.98647247799355,
            "p": 9.63963138156735e-10,
            "ci_low": -6.89152537859741,
            "ci_high": -4.3329746214026,
            "p_bonferroni": 5.78377882894041e-09,
            "p_holm": 1.92792627631347e-09,
        },
        ("C", "t3 - t4"): {
            "estimate": -1.92816666666667,
            "se": 0.536034230355595,
            "df": 28,
            "t": -3.59709615072076,
            "p": 0.00122354123780854,
            "ci_low": -3.02618301237379,
            "ci_high": -0.830150320959555,
            "p_bonferroni": 0.00734124742685125,
            "p_holm": 0.00122354123780854,
        },
    },
    # fit <- afex::aov_ez(..., data = <tests/data/anova/three_by_four_unequal_missing.csv>, ...)  (see module docstring)
    # emm <- emmeans::emmeans(fit, pairwise ~ arm | time, adjust = "bonferroni", model = "multivariate")
    #   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
    #   p_bonferroni: summary(emm$contrasts); p_holm: the same emmeans call with adjust = "holm"
    ("three_by_four_unequal_missing", "arm"): {
        ("t1", "A - B"): {
            "estimate": -0.0926022727272708,
            "se": 0.429778323988517,
            "df": 28,
            "t": -0.215465200450046,
            "p": 0.830966469893241,
            "ci_low": -0.972963260974139,
            "ci_high": 0.787758715519598,
            "p_bonferroni": 1,
            "p_holm": 1,
        },
        ("t1", "A - C"): {
            "estimate": -0.237208333333331,
            "se": 0.422171026858531,
            "df": 28,
            "t": -0.561877339377009,
            "p": 0.578670026964597,
            "ci_low": -1.10198647980938,
            "ci_high": 0.627569813142715,
            "p_bonferroni": 1,
            "p_holm": 1,
        },
        ("t1", "B - C"): {
            "estimate": -0.14460606060606,
            "se": 0.386087726542325,
            "df": 28,
            "t": -0.374541977547706,
            "p": 0.710822888312704,
            "ci_low": -0.935470917014848,
            "ci_high": 0.646258795802728,
            "p_bonferroni": 1,
            "p_holm": 1,
        },
        ("t2", "A - B"): {
            "estimate": -0.661738636363634,
            "se": 0.696122992174144,
            "df": 28,
            "t": -0.950605918498511,
            "p": 0.349938369569718,
            "ci_low": -2.08768194510103,
            "ci_high": 0.764204672373758,
            "p_bonferroni": 1,
            "p_holm": 0.349938369569718,
        },
        ("t2", "A - C"): {
            "estimate": -2.70604166666666,
            "se": 0.683801257584697,
            "df": 28,
            "t": -3.9573511113812,
            "p": 0.000471060065615905,
            "ci_low": -4.10674504627173,
            "ci_high": -1.3053382870616,
            "p_bonferroni": 0.00141318019684772,
            "p_holm": 0.00141318019684772,
        },
        ("t2", "B - C"): {
            "estimate": -2.04430303030303,
            "se": 0.625356209098943,
            "df": 28,
            "t": -3.26902172003474,
            "p": 0.00285766883109651,
            "ci_low": -3.32528715518731,
            "ci_high": -0.763318905418756,
            "p_bonferroni": 0.00857300649328952,
            "p_holm": 0.00571533766219301,
        },
        ("t3", "A - B"): {
            "estimate": -1.19719318181818,
            "se": 0.927100673975507,
            "df": 28,
            "t": -1.29133028960543,
            "p": 0.20714846397214,
            "ci_low": -3.09627282355279,
            "ci_high": 0.701886459916435,
            "p_bonferroni": 0.62144539191642,
            "p_holm": 0.20714846397214,
        },
        ("t3", "A - C"): {
            "estimate": -5.833125,
            "se": 0.910690515755125,
            "df": 28,
            "t": -6.40516717708792,
            "p": 6.19548510814026e-07,
            "ci_low": -7.69858995643799,
            "ci_high": -3.967660043562,
            "p_bonferroni": 1.85864553244208e-06,
            "p_holm": 1.85864553244208e-06,
        },
        ("t3", "B - C"): {
            "estimate": -4.63593181818182,
            "se": 0.8328530582213,
            "df": 28,
            "t": -5.56632622335882,
            "p": 5.9148768049894e-06,
            "ci_low": -6.34195397070834,
            "ci_high": -2.92990966565529,
            "p_bonferroni": 1.77446304149682e-05,
            "p_holm": 1.18297536099788e-05,
        },
        ("t4", "A - B"): {
            "estimate": -3.37548863636363,
            "se": 1.33918924948781,
            "df": 28,
            "t": -2.52054639600388,
            "p": 0.0176947022437631,
            "ci_low": -6.11869345922987,
            "ci_high": -0.632283813497397,
            "p_bonferroni": 0.0530841067312892,
            "p_holm": 0.0176947022437631,
        },
        ("t4", "A - C"): {
            "estimate": -7.65104166666666,
            "se": 1.31548491177344,
            "df": 28,
            "t": -5.81613791096401,
            "p": 3.00480772243419e-06,
            "ci_low": -10.3456903548673,
            "ci_high": -4.95639297846606,
            "p_bonferroni": 9.01442316730258e-06,
            "p_holm": 9.01442316730258e-06,
        },
        ("t4", "B - C"): {
            "estimate": -4.27555303030303,
            "se": 1.20304934866488,
            "df": 28,
            "t": -3.55392988246737,
            "p": 0.00136977933733543,
            "ci_low": -6.73988790804029,
            "ci_high": -1.81121815256577,
            "p_bonferroni": 0.00410933801200628,
            "p_holm": 0.00273955867467085,
        },
    },
}


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(
        DATA_DIR / f"{name}.csv",
        dtype={"participant_id": str, "arm": str, "time": str, "value": float},
    )


@functools.cache
def _effects(name: str, adjust: str) -> pd.DataFrame:
    d = _load(name)
    complete, _ = complete_cases(d, "value", "time", "participant_id", levels=LEVELS[name])
    arms = sorted(d["arm"].unique())  # R's factor order; only the contrasts' sign depends on it
    return simple_effects(complete, "value", "time", "arm", "participant_id", LEVELS[name], arms, adjust=adjust)


def _ours(name: str, family: str, level: str, r_contrast: str, adjust: str) -> pd.Series:
    first, second = r_contrast.split(" - ")
    res = _effects(name, adjust)
    hit = res[(res["family"] == FAMILY[family]) & (res["level"] == level) & (res["contrast"] == f"{second} - {first}")]
    assert len(hit) == 1, (family, level, r_contrast)
    return hit.iloc[0]


CASES = [
    pytest.param(ds, family, level, contrast, adjust, ref, id=f"{ds}-{family}-{level}-{contrast}-{adjust}")
    for (ds, family), cells in EMMEANS_REF.items()
    for (level, contrast), ref in cells.items()
    for adjust in ("bonferroni", "holm")
]


@pytest.mark.parametrize(("dataset", "family", "level", "contrast", "adjust", "ref"), CASES)
def test_simple_effects_match_emmeans_multivariate(dataset, family, level, contrast, adjust, ref):
    row = _ours(dataset, family, level, contrast, adjust)
    assert -row["estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert row["se"] == pytest.approx(ref["se"], rel=REL)
    assert row["df"] == ref["df"]
    assert -row["t"] == pytest.approx(ref["t"], rel=REL)
    assert row["p"] == pytest.approx(ref["p"], rel=REL)
    assert row["p_adj"] == pytest.approx(ref[f"p_{adjust}"], rel=REL)
    assert row["adjust"] == adjust
    assert -row["ci_high"] == pytest.approx(ref["ci_low"], rel=REL)
    assert -row["ci_low"] == pytest.approx(ref["ci_high"], rel=REL)


@pytest.mark.parametrize("adjust", ["bonferroni", "holm"])
@pytest.mark.parametrize("dataset", list(LEVELS))
def test_simple_effects_have_exactly_the_emmeans_contrasts(dataset, adjust):
    res = _effects(dataset, adjust)
    for family in ("time", "arm"):
        ours = res[res["family"] == FAMILY[family]]
        assert len(ours) == len(EMMEANS_REF[(dataset, family)])


def test_holm_differs_from_bonferroni_where_it_should():
    # A guard that the Holm references really exercise Holm's step-down (not Bonferroni again).
    cells = EMMEANS_REF[("three_by_four_unequal_missing", "time")]
    assert any(c["p_holm"] < c["p_bonferroni"] < 1 for c in cells.values())


def test_univariate_emmeans_model_is_not_trialflows_definition():
    # emmeans::emmeans(fit, pairwise ~ arm | time, adjust = "bonferroni", model = "univariate")
    # on two_by_three, time = post, "control - training": SE from the pooled error strata,
    # Satterthwaite df. trialflow (and the multivariate model) use the time point's own pooled
    # variance on N - arms = 21 df.
    univariate = {"se": 1.46402489776039, "df": 24.8188538093622}
    row = _ours("two_by_three", "arm", "post", "control - training", "bonferroni")
    assert row["df"] == 21
    assert row["se"] != pytest.approx(univariate["se"], rel=1e-3)
