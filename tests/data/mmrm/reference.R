# Reference values for tests/test_mmrm.py, computed independently in R (nlme, emmeans, lme4,
# lmerTest, pbkrtest). Run from the repository root:
#     Rscript tests/data/mmrm/reference.R
# writes tests/data/mmrm/reference.csv (the pinned values; 17 significant digits).
suppressMessages({library(nlme); library(emmeans); library(lme4); library(lmerTest); library(pbkrtest)})
options(contrasts = c("contr.treatment", "contr.poly"))
emm_options(msg.interaction = FALSE, msg.nesting = FALSE)
ctl <- glsControl(maxIter = 1000, msMaxIter = 1000, tolerance = 1e-12, msTol = 1e-13, returnObject = FALSE)
here <- "tests/data/mmrm"
out <- list()
add <- function(case, kind, key, value) out[[length(out) + 1]] <<- data.frame(case = case, kind = kind, key = key, value = value)

read_case <- function(file, visits, arms) {
  d <- read.csv(file.path(here, file))
  d$visit <- factor(d$time, levels = visits)
  d$arm <- factor(d$arm, levels = arms)
  d$visit_index <- as.integer(d$visit)
  d$id <- factor(d$participant_id)
  d[order(d$id, d$visit_index), ]
}

# every structure as nlme writes it (heterogeneous: varIdent by visit)
structures <- list(
  unstructured = list(cor = function(d) corSymm(form = ~ visit_index | id), het = TRUE),
  toeplitz_heterogeneous = list(cor = function(d) corARMA(form = ~ visit_index | id, p = nlevels(d$visit) - 1), het = TRUE),
  toeplitz = list(cor = function(d) corARMA(form = ~ visit_index | id, p = nlevels(d$visit) - 1), het = FALSE),
  ar1_heterogeneous = list(cor = function(d) corAR1(form = ~ visit_index | id), het = TRUE),
  ar1 = list(cor = function(d) corAR1(form = ~ visit_index | id), het = FALSE),
  cs_heterogeneous = list(cor = function(d) corCompSymm(form = ~ visit_index | id), het = TRUE),
  cs = list(cor = function(d) corCompSymm(form = ~ visit_index | id), het = FALSE)
)

fit_gls <- function(formula, d, s, method = "REML") {
  st <- structures[[s]]
  w <- if (st$het) varIdent(form = ~ 1 | visit) else NULL
  # the objects are put into the call, so that emmeans can refit it for its Satterthwaite gradient
  eval(bquote(gls(.(formula), data = .(d), correlation = .(st$cor(d)), weights = .(w), method = .(method),
                  control = .(ctl), na.action = na.omit)))
}

record_gls <- function(case, fit, d, method = "REML") {
  # -2 log L as nlme computes it
  add(case, "criterion", "", -2 * as.numeric(logLik(fit)))
  # Sigma of a participant seen at every visit
  full <- names(which(table(d$id) == nlevels(d$visit)))[1]
  S <- getVarCov(fit, individual = full)
  for (i in seq_len(nrow(S))) for (j in i:ncol(S)) add(case, "sigma", paste(i, j, sep = ","), S[i, j])
  emm <- emmeans(fit, ~ arm | visit, data = d, mode = if (method == "REML") "satterthwaite" else "df.error")
  e <- as.data.frame(summary(emm))
  for (r in seq_len(nrow(e))) {
    k <- paste(e$arm[r], e$visit[r], sep = "@")
    add(case, "lsmean", k, e$emmean[r]); add(case, "lsmean_se", k, e$SE[r]); add(case, "lsmean_df", k, e$df[r])
  }
  ct <- as.data.frame(summary(contrast(emm, "trt.vs.ctrl", adjust = "none")))
  for (r in seq_len(nrow(ct))) {
    k <- paste(gsub(" ", "", ct$contrast[r]), ct$visit[r], sep = "@")
    add(case, "contrast", k, ct$estimate[r]); add(case, "contrast_se", k, ct$SE[r])
    add(case, "contrast_df", k, ct$df[r]); add(case, "contrast_p", k, ct$p.value[r])
  }
  # Wald F of arm, visit, arm:visit on the arm x visit grid (equal weights), from R's beta and vcov
  g <- emmeans(fit, ~ arm * visit, data = d, mode = if (method == "REML") "satterthwaite" else "df.error")
  b <- summary(g)$emmean; V <- vcov(g)
  na <- nlevels(d$arm); nv <- nlevels(d$visit)
  da <- cbind(-1, diag(na - 1)); dv <- cbind(-1, diag(nv - 1))
  # grid rows are arm fastest within visit: index (visit - 1) * na + arm
  Ls <- list(arm = kronecker(matrix(1 / nv, 1, nv), da), visit = kronecker(dv, matrix(1 / na, 1, na)),
             "arm:visit" = kronecker(dv, da))
  for (nm in names(Ls)) {
    L <- Ls[[nm]]; est <- L %*% b
    add(case, "F", nm, as.numeric(t(est) %*% solve(L %*% V %*% t(L), est)) / nrow(L))
  }
}

# Double programming of the REML fit and its Satterthwaite df, independent of nlme's optimiser
# and of emmeans' approximate gradient ("appx-satterthwaite", which nlme's corSymm forces and
# which is only good to ~1e-2 in df): Sigma in plain parameters (its entries, or variances and
# correlations), the REML log-likelihood written out per participant, nlme's estimates polished
# by optim on it, the Hessian and the gradient of l' Phi l by numDeriv (Richardson).
sigma_of <- function(s, th, nv) {
  lagm <- abs(outer(1:nv, 1:nv, "-"))
  if (s == "unstructured") { S <- matrix(0, nv, nv); S[upper.tri(S, TRUE)] <- th; S[lower.tri(S)] <- t(S)[lower.tri(S)]; return(S) }
  if (s == "toeplitz") return(matrix(th[lagm + 1], nv, nv))
  het <- grepl("heterogeneous", s)
  sd <- if (het) sqrt(th[1:nv]) else rep(sqrt(th[1]), nv)
  r <- th[-(1:(if (het) nv else 1))]
  R <- switch(sub("_heterogeneous", "", s),
    toeplitz = matrix(c(1, r)[lagm + 1], nv, nv),
    ar1 = r[1]^lagm,
    cs = ifelse(lagm == 0, 1, r[1]))
  outer(sd, sd) * R
}
theta_of <- function(s, S) {
  nv <- nrow(S); lagm <- abs(outer(1:nv, 1:nv, "-")); R <- cov2cor(S)
  if (s == "unstructured") return(S[upper.tri(S, TRUE)])
  if (s == "toeplitz") return(sapply(0:(nv - 1), function(k) mean(S[lagm == k])))
  v <- if (grepl("heterogeneous", s)) diag(S) else mean(diag(S))
  r <- switch(sub("_heterogeneous", "", s), toeplitz = sapply(1:(nv - 1), function(k) mean(R[lagm == k])),
              ar1 = mean(R[lagm == 1]), cs = mean(R[lagm > 0]))
  c(v, r)
}
reml_parts <- function(s, th, X, y, id, vi, nv, reml = TRUE) {
  S <- sigma_of(s, th, nv)
  p <- ncol(X); C <- matrix(0, p, p); b <- rep(0, p); ld <- 0
  blocks <- split(seq_along(y), id)
  Vs <- lapply(blocks, function(r) { V <- S[vi[r], vi[r], drop = FALSE]; W <- solve(V)
    ld <<- ld + as.numeric(determinant(V)$modulus); C <<- C + t(X[r, , drop = FALSE]) %*% W %*% X[r, , drop = FALSE]
    b <<- b + t(X[r, , drop = FALSE]) %*% W %*% y[r]; W })
  Phi <- solve(C); beta <- Phi %*% b; q <- 0
  for (k in seq_along(blocks)) { r <- blocks[[k]]; e <- y[r] - X[r, , drop = FALSE] %*% beta; q <- q + t(e) %*% Vs[[k]] %*% e }
  n <- length(y)
  m2ll <- ld + q + (if (reml) as.numeric(determinant(C)$modulus) + (n - p) * log(2 * pi) else n * log(2 * pi))
  list(m2ll = as.numeric(m2ll), beta = as.numeric(beta), Phi = Phi)
}
record_double <- function(case, fit, d, s, formula, method) {
  reml <- method == "REML"
  X <- model.matrix(formula, d); y <- d$value; id <- as.character(d$id); vi <- d$visit_index; nv <- nlevels(d$visit)
  full <- names(which(table(d$id) == nv))[1]
  th0 <- theta_of(s, as.matrix(getVarCov(fit, individual = full)))
  f <- function(th) { r <- try(reml_parts(s, th, X, y, id, vi, nv, reml)$m2ll, silent = TRUE); if (inherits(r, "try-error") || !is.finite(r)) 1e10 else r }
  opt <- optim(th0, f, method = "BFGS", control = list(reltol = 1e-15, maxit = 1000, ndeps = rep(1e-6, length(th0))))
  for (restart in 1:3) opt <- optim(opt$par, f, method = "BFGS", control = list(reltol = 1e-16, maxit = 1000, ndeps = rep(1e-7, length(th0))))
  th <- opt$par
  at <- reml_parts(s, th, X, y, id, vi, nv, reml)
  add(case, "double_criterion", "", at$m2ll)
  A <- solve(numDeriv::hessian(f, th) / 2)  # inverse observed information of log L
  dfun <- function(k) {
    g <- numDeriv::grad(function(t) as.numeric(t(k) %*% reml_parts(s, t, X, y, id, vi, nv, reml)$Phi %*% k), th)
    2 * as.numeric(t(k) %*% at$Phi %*% k)^2 / as.numeric(t(g) %*% A %*% g)
  }
  emm <- emmeans(fit, ~ arm | visit, data = d, mode = "df.error")
  K <- emm@linfct; e <- as.data.frame(summary(emm))
  for (r in seq_len(nrow(K))) {
    k <- paste(e$arm[r], e$visit[r], sep = "@")
    add(case, "double_lsmean", k, sum(K[r, ] * at$beta)); add(case, "double_lsmean_se", k, sqrt(as.numeric(t(K[r, ]) %*% at$Phi %*% K[r, ])))
    if (reml) add(case, "double_lsmean_df", k, dfun(K[r, ]))
  }
  ct <- contrast(emm, "trt.vs.ctrl", adjust = "none"); Kc <- ct@linfct; cs <- as.data.frame(summary(ct))
  for (r in seq_len(nrow(Kc))) {
    k <- paste(gsub(" ", "", cs$contrast[r]), cs$visit[r], sep = "@")
    add(case, "double_contrast", k, sum(Kc[r, ] * at$beta)); add(case, "double_contrast_se", k, sqrt(as.numeric(t(Kc[r, ]) %*% at$Phi %*% Kc[r, ])))
    if (reml) add(case, "double_contrast_df", k, dfun(Kc[r, ]))
  }
  # F tests on the arm x visit grid; Satterthwaite df for F as SAS PROC MIXED (and lmerTest)
  g <- emmeans(fit, ~ arm * visit, data = d, mode = "df.error"); G <- g@linfct
  na <- nlevels(d$arm); da <- cbind(-1, diag(na - 1)); dv <- cbind(-1, diag(nv - 1))
  Ls <- list(arm = kronecker(matrix(1 / nv, 1, nv), da), visit = kronecker(dv, matrix(1 / na, 1, na)), "arm:visit" = kronecker(dv, da))
  for (nm in names(Ls)) {
    L <- Ls[[nm]] %*% G; est <- L %*% at$beta; M <- L %*% at$Phi %*% t(L)
    add(case, "double_F", nm, as.numeric(t(est) %*% solve(M, est)) / nrow(L))
    if (reml) {
      ev <- eigen(M, symmetric = TRUE)
      nus <- sapply(seq_len(nrow(L)), function(j) dfun(as.numeric(t(ev$vectors[, j]) %*% L) / sqrt(ev$values[j])))
      E <- sum(ifelse(nus > 2, nus / (nus - 2), 0)); q <- nrow(L)
      add(case, "double_den_df", nm, if (nrow(L) == 1) nus[1] else 2 * E / (E - q))
    }
  }
}

run <- function(case, file, visits, arms, formula, structures_wanted, methods = "REML") {
  d <- read_case(file, visits, arms)
  for (s in structures_wanted) for (m in methods) {
    fit <- fit_gls(formula, d, s, m)
    record_gls(paste(case, s, tolower(m), sep = "/"), fit, d, m)
    record_double(paste(case, s, tolower(m), sep = "/"), fit, d, s, formula, m)
  }
}

av <- c("w1", "w2", "w3", "w4")
run("three_arm", "three_arm.csv", av, c("placebo", "low", "high"), value ~ arm * visit, names(structures))
run("three_arm", "three_arm.csv", av, c("placebo", "low", "high"), value ~ arm * visit, "unstructured", "ML")

# covariates: baseline (the value at "base") x visit, site, age
d0 <- read.csv(file.path(here, "covariates.csv"))
base <- setNames(d0$value[d0$time == "base"], d0$participant_id[d0$time == "base"])
dc <- d0[d0$time != "base", ]; dc$baseline <- base[dc$participant_id]
write.csv(dc, file.path(tempdir(), "cov_post.csv"), row.names = FALSE)
here_save <- here; here <- tempdir()
run("covariates", "cov_post.csv", c("v1", "v2", "v3"), c("control", "active"),
    value ~ arm * visit + site + age + baseline * visit, c("unstructured", "ar1_heterogeneous", "cs"))
here <- here_save

# singular: the unstructured fit does not converge, the heterogeneous Toeplitz does
run("singular", "singular.csv", c("t1", "t2", "t3", "t4"), c("control", "active"), value ~ arm * visit,
    "toeplitz_heterogeneous")
ds <- read_case("singular.csv", c("t1", "t2", "t3", "t4"), c("control", "active"))
un <- try(fit_gls(value ~ arm * visit, ds, "unstructured"), silent = TRUE)
add("singular/unstructured/reml", "nlme_fails", "", as.numeric(inherits(un, "try-error")))

# demo: BDNF and GDNF, pre/post, unstructured
demo <- read.csv(file.path(here, "demo.csv"))
for (o in unique(demo$outcome)) {
  write.csv(demo[demo$outcome == o, ], file.path(tempdir(), "demo_o.csv"), row.names = FALSE)
  here <- tempdir()
  run(paste0("demo_", o), "demo_o.csv", c("pre", "post"), c("control", "training"), value ~ arm * visit, "unstructured")
  here <- here_save
}

# Kenward-Roger and multi-df Satterthwaite F: compound symmetry is the random-intercept model
# (lme4; the between-participant variance is positive on these data), whose KR (pbkrtest) and
# Satterthwaite (lmerTest, SAS's method for F) tests are the references
kr_case <- function(case, file, visits, arms, formula) {
  d <- read_case(file, visits, arms)
  m <- lmerTest::lmer(formula, data = d, REML = TRUE, control = lmerControl(optimizer = "nloptwrap",
                      optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-14, xtol_rel = 1e-14, ftol_rel = 1e-14)))
  vc <- as.data.frame(VarCorr(m))
  add(case, "cs_between", "", vc$vcov[1]); add(case, "cs_residual", "", vc$vcov[2])
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    a <- anova(m, type = 3, ddf = ddf)
    # lmerTest's type 3 for arm, visit needs sum-to-zero coding to be the marginal-means tests
    for (r in rownames(a)) {
      add(case, paste0(ddf, "_F"), r, a[r, "F value"]); add(case, paste0(ddf, "_den_df"), r, a[r, "DenDF"])
    }
  }
  for (mode in c("kenward-roger", "satterthwaite")) {
    emm <- emmeans(m, ~ arm | visit, lmer.df = mode)
    e <- as.data.frame(summary(emm))
    for (r in seq_len(nrow(e))) {
      k <- paste(e$arm[r], e$visit[r], sep = "@")
      add(case, paste0(mode, "_lsmean_se"), k, e$SE[r]); add(case, paste0(mode, "_lsmean_df"), k, e$df[r])
    }
    ct <- as.data.frame(summary(contrast(emm, "trt.vs.ctrl", adjust = "none")))
    for (r in seq_len(nrow(ct))) {
      k <- paste(gsub(" ", "", ct$contrast[r]), ct$visit[r], sep = "@")
      add(case, paste0(mode, "_contrast_se"), k, ct$SE[r]); add(case, paste0(mode, "_contrast_df"), k, ct$df[r])
    }
  }
}
options(contrasts = c("contr.sum", "contr.poly"))
kr_case("three_arm/cs_lmer", "three_arm.csv", av, c("placebo", "low", "high"), value ~ arm * visit + (1 | id))

res <- do.call(rbind, out)
res$value <- formatC(res$value, digits = 17, format = "g")
write.csv(res, file.path(here_save, "reference.csv"), row.names = FALSE)
