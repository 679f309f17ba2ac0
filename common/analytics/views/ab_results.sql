-- A/B results: per experiment and variant, the sample sizes (users, turns, rated turns), whether
-- the users' split between variants departs from the configured shares (srm_suspect), the
-- satisfaction (share of rated turns rated positively: "up", 4 or 5 stars; 3 stars, 0.5, is
-- neutral, as in satisfaction_by_persona) and the difference to the experiment's control
-- variant with a confidence interval (95 % for all of an experiment's comparisons together).
--
-- Method
-- * Every event counts once: delivery is at least once and insert ids are best effort, so rows
--   are de-duplicated by event_id. A turn's last rating stands (a user may change a rating).
-- * Intention to treat: turn and feedback events carry the variant the user was assigned to
--   (common/experiments.py, a hash of experiment and user), whatever persona was then shown.
--   Ratings of the crisis safety message are left out: every variant shows the same message.
-- * The control is the variant the experiment's turn events name in `control_variant` (the
--   configured control), so this view needs no configuration of its own.
-- * A user stays in their variant while the experiment's shares are ramped up together, but
--   moves when the ratio between them or the list of variants changes under the same id
--   (common/experiments.py). Such a user counts in each variant they were seen in, and the
--   interval below, which takes the variants' users as disjoint, no longer holds:
--   users_in_other_variants counts a variant's users also seen in another variant of the
--   experiment, and should be 0.
-- * Sample ratio mismatch: a hash assigns the users, so each variant's share of the
--   experiment's users should be close to its configured one, which turn events carry as
--   `variant_share` (common/experiments.py: its traffic over the shares' total, unchanged by a
--   ramp-up). A split far from it means some variant lost or gained users (turns failing or
--   their events lost in one, a changed split, a bug in the assignment), and every comparison
--   may be biased by who they were. srm_suspect is a chi-square goodness-of-fit test of
--   the users per variant against N s_v / sum(s) (N the experiment's users, s_v a variant's
--   share), at p = 0.001: TRUE when a split this far off would happen by chance less than once
--   in 1,000 experiments (1,000 against 1,150 users at 50/50, chi-square 10.47, is not; 1,000
--   against 1,160, 11.85, is). enough_data is then false. The quantiles of the chi-square
--   distribution are a table for 1 to 9 degrees of freedom (n - 1 for n variants), and
--   srm_suspect is NULL when a variant's turns name no share (sent before they carried one).
-- * Users, not ratings, are the unit of randomisation, and one user's ratings are correlated.
--   So the standard error of a variant's satisfaction p = sum(y) / sum(m) (y_i positive and
--   m_i rated turns of user i, k users who rated) is computed from the users (delta method
--   for a ratio, i.e. clustered by user):
--     se^2 = k / (k - 1) * sum((y_i - p m_i)^2) / sum(m_i)^2
--   With one rating per user this is the usual p (1 - p) / (k - 1). The difference is
--     d = p_v - p_c,   d +/- z sqrt(se_v^2 + se_c^2).
--   Users who anonymised analytics are in no experiment (common/chat/service.py: their
--   variant, recomputable from a user key, would link their rows to their keyed ones), so
--   their rows name none. Rows without a key that do (written before that) are left out:
--   their ratings cannot be grouped by user, and counted one by one a heavy anonymous rater
--   would make a variant look certain. The control's own row has no difference.
-- * The interval is a normal approximation, too narrow on few users. In simulated A/A tests
--   with a heavy-tailed number of ratings per user (lognormal), a 95 % interval covered the
--   true difference 85.3 % of the time at 20 users who rated per variant, 88.1 % at 40,
--   90.5 % at 100, 93.7 % at 400 and 94.6 % at 2,000 (about 3 ratings per user: 92.1 % at 20,
--   94.1 % at 100). A variant whose ratings are all positive (or none) has a variance of 0: 2
--   users who rated up against 3 who rated down gave -1.0 in [-1.0, -1.0]. So difference_low
--   and difference_high are NULL, and enough_data false, until the variant and the control
--   each have min_raters (100) users who rated, and both positive and other ratings; even then
--   the interval may cover about 90 %, not 95 %, until each has a few hundred.
-- * An experiment of n variants compares n - 1 of them with the control. Each at 95 %, some
--   interval of an A/A/A/A test (4 identical variants) would exclude 0 far more often than 5 %
--   of the time (simulated: 5.1 % with one treatment, 9.7 % with two, 12.7 % with three, 15.9 %
--   with four). So z is Bonferroni's, the normal quantile of 1 - 0.05 / (2 (n - 1)): 1.960 for
--   one comparison, 2.241 for two, 2.394 for three, and the chance that any of the intervals
--   misses is at most 5 %. BigQuery has no inverse normal function: the quantiles are a table
--   for 1 to 9 comparisons (common/experiments.py allows 10 variants at most). n counts the
--   variants the experiment's turns name, so read the result when every variant has turns.
-- * The interval is a fixed-sample one: it holds for one reading at the experiment's planned
--   end, not for repeated looks while it runs. Read daily and stopped at the first interval
--   that excludes 0, about 1 in 4 A/A tests (identical variants) would be called a winner
--   (23 % in a simulation of 28-day tests, against 5 % read once at the end). Fix the end
--   (and so the sample) before the start and decide on that reading only.
-- * An experiment's rows are all keyed, and the cleanup deletes them after each user's
--   retention (30, 90 or 365 days): read one that ran for longer than 30 days, and its early
--   weeks keep only the users with a longer retention (survivor bias: turns_between.sql).
--   The variants lose users alike (assignment is random), but the sample shrinks and leans
--   towards those users.
WITH constants AS (
  SELECT 100 AS min_raters  -- the header's threshold; common/insights/metrics.py AB_MIN_RATERS
),
events AS (
  SELECT
    event_id,
    type,
    occurred_at,
    user_key,
    COALESCE(turn_id, event_id) AS turn,
    experiment,
    variant,
    satisfaction,
    crisis,
    LAX_STRING(payload.control_variant) AS control_variant,
    LAX_FLOAT64(payload.variant_share) AS variant_share
  FROM `${project}.${dataset}.events`
  WHERE type IN ('chat.turn.completed', 'feedback.submitted') AND experiment IS NOT NULL
    AND user_key IS NOT NULL  -- see the header
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY occurred_at) = 1
),
-- Users whose turns name more than one variant of the experiment (see the header).
mixed AS (
  SELECT experiment, user_key
  FROM events
  WHERE type = 'chat.turn.completed'
  GROUP BY experiment, user_key
  HAVING COUNT(DISTINCT variant) > 1
),
turns AS (
  SELECT
    e.experiment,
    e.variant,
    COUNT(DISTINCT e.user_key) AS users,
    COUNT(DISTINCT m.user_key) AS users_in_other_variants,
    COUNT(*) AS turns,
    MAX(e.variant_share) AS share  -- the same on every turn (ramp-ups keep it)
  FROM events AS e
  LEFT JOIN mixed AS m ON m.experiment = e.experiment AND m.user_key = e.user_key
  WHERE e.type = 'chat.turn.completed'
  GROUP BY e.experiment, e.variant
),
-- Sample ratio mismatch (see the header): each variant's users against its configured share.
expected AS (
  SELECT
    experiment,
    users,
    share,
    SUM(users) OVER (PARTITION BY experiment)
      * SAFE_DIVIDE(share, SUM(share) OVER (PARTITION BY experiment)) AS expected_users
  FROM turns
),
srm AS (
  SELECT
    experiment,
    -- NULL (unknown) when a variant's turns name no share: sent before they carried one
    IF(
      COUNTIF(share IS NULL OR share <= 0) > 0,
      NULL,
      SUM(SAFE_DIVIDE(POW(users - expected_users, 2), expected_users))
    ) AS chi_square,
    -- the chi-square distribution's 0.999 quantile for variants - 1 degrees of freedom
    CASE COUNT(*) - 1
      WHEN 1 THEN 10.83
      WHEN 2 THEN 13.82
      WHEN 3 THEN 16.27
      WHEN 4 THEN 18.47
      WHEN 5 THEN 20.52
      WHEN 6 THEN 22.46
      WHEN 7 THEN 24.32
      WHEN 8 THEN 26.12
      WHEN 9 THEN 27.88
    END AS chi_square_critical
  FROM expected
  GROUP BY experiment
),
last_ratings AS (
  SELECT
    r.experiment, r.variant, r.user_key, r.turn, r.satisfaction,
    -- NULL on ratings sent before feedback events carried it (2026-12-03): the rated turn's
    COALESCE(r.crisis, t.crisis) AS crisis
  FROM events AS r
  LEFT JOIN events AS t ON t.turn = r.turn AND t.type = 'chat.turn.completed'
  WHERE r.type = 'feedback.submitted' AND r.satisfaction IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY r.turn ORDER BY r.occurred_at DESC, r.event_id DESC) = 1
),
-- One row per user: their rated turns (m) and positive ratings (y).
per_user AS (
  SELECT
    experiment,
    variant,
    user_key,
    COUNT(*) AS ratings,
    COUNTIF(satisfaction > 0.5) AS positive
  FROM last_ratings
  WHERE crisis IS NOT TRUE
  GROUP BY experiment, variant, user_key
),
ratings AS (
  SELECT
    experiment,
    variant,
    COUNT(*) AS raters,
    SUM(ratings) AS ratings,
    SUM(positive) AS positive,
    SAFE_DIVIDE(SUM(positive), SUM(ratings)) AS satisfaction
  FROM per_user
  GROUP BY experiment, variant
),
-- The variance of each variant's satisfaction, from its users' residuals (formula above).
rated AS (
  SELECT
    experiment,
    variant,
    r.raters,
    r.ratings,
    r.positive,
    r.satisfaction,
    SAFE_DIVIDE(
      r.raters * SUM(POW(u.positive - r.satisfaction * u.ratings, 2)),
      (r.raters - 1) * POW(r.ratings, 2)
    ) AS variance
  FROM ratings AS r
  JOIN per_user AS u USING (experiment, variant)
  GROUP BY experiment, variant, r.raters, r.ratings, r.positive, r.satisfaction
),
controls AS (
  SELECT experiment, MIN(control_variant) AS control
  FROM events
  WHERE type = 'chat.turn.completed' AND control_variant IS NOT NULL
  GROUP BY experiment
),
variants AS (
  SELECT
    experiment,
    variant,
    COALESCE(turns.users, 0) AS users,
    COALESCE(turns.users_in_other_variants, 0) AS users_in_other_variants,
    COALESCE(turns.turns, 0) AS turns,
    COALESCE(rated.ratings, 0) AS ratings,
    COALESCE(rated.positive, 0) AS positive_ratings,
    COALESCE(rated.raters, 0) AS raters,
    rated.satisfaction,
    rated.variance,
    -- enough for the interval (see the header)
    COALESCE(
      rated.raters >= constants.min_raters AND rated.positive > 0
      AND rated.positive < rated.ratings,
      FALSE
    ) AS enough
  FROM turns
  FULL OUTER JOIN rated USING (experiment, variant)
  CROSS JOIN constants
),
compared AS (
  SELECT
    v.experiment,
    v.variant,
    c.control,
    v.variant = c.control AS is_control,
    v.users,
    v.users_in_other_variants,
    v.turns,
    v.ratings,
    v.positive_ratings,
    v.raters,
    v.satisfaction,
    s.chi_square > s.chi_square_critical AS srm_suspect,
    v.enough AND COALESCE(k.enough, FALSE) AND (s.chi_square > s.chi_square_critical) IS NOT TRUE
      AS enough_data,
    v.satisfaction - k.satisfaction AS difference,
    SQRT(v.variance + k.variance) AS standard_error,
    -- Bonferroni's z for the experiment's comparisons with its control (see the header)
    CASE COUNT(*) OVER (PARTITION BY v.experiment) - 1
      WHEN 1 THEN 1.960
      WHEN 2 THEN 2.241
      WHEN 3 THEN 2.394
      WHEN 4 THEN 2.498
      WHEN 5 THEN 2.576
      WHEN 6 THEN 2.638
      WHEN 7 THEN 2.690
      WHEN 8 THEN 2.734
      WHEN 9 THEN 2.773
    END AS z
  FROM variants AS v
  LEFT JOIN controls AS c ON c.experiment = v.experiment
  LEFT JOIN variants AS k ON k.experiment = v.experiment AND k.variant = c.control
  LEFT JOIN srm AS s ON s.experiment = v.experiment
)
SELECT
  experiment,
  variant,
  control,
  is_control,
  users,
  users_in_other_variants,
  turns,
  ratings,
  positive_ratings,
  raters,
  satisfaction,
  srm_suspect,
  enough_data,
  IF(is_control, NULL, difference) AS difference,
  IF(is_control OR NOT enough_data, NULL, difference - z * standard_error) AS difference_low,
  IF(is_control OR NOT enough_data, NULL, difference + z * standard_error) AS difference_high
FROM compared
