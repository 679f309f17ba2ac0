-- A/B results: per experiment and variant, the sample sizes (users, turns, rated turns), the
-- satisfaction (share of rated turns rated positively: "up", 4 or 5 stars) and the difference
-- to the experiment's control variant with a 95 % confidence interval.
--
-- Method
-- * Every event counts once: delivery is at least once and insert ids are best effort, so rows
--   are de-duplicated by event_id. A turn's last rating stands (a user may change a rating).
-- * Intention to treat: turn and feedback events carry the variant the user was assigned to
--   (common/experiments.py, a hash of experiment and user), whatever persona was then shown.
-- * The control is the variant the experiment's turn events name in `control_variant` (the
--   configured control), so this view needs no configuration of its own.
-- * The interval is the normal approximation (Wald) for a difference of two proportions:
--     d = p_v - p_c,   se = sqrt(p_v (1 - p_v) / n_v + p_c (1 - p_c) / n_c),   d +/- 1.96 se,
--   with n the rated turns of each variant. It treats ratings as independent; one user's ratings
--   are correlated and users are the unit of randomisation, so with few users per variant the
--   true interval is wider. Trust it once each variant has about 10 positive and 10 negative
--   ratings. The control's own row has no difference; a variant without ratings has none either.
WITH events AS (
  SELECT
    event_id,
    type,
    occurred_at,
    user_key,
    COALESCE(turn_id, event_id) AS turn,
    experiment,
    variant,
    satisfaction,
    LAX_STRING(payload.control_variant) AS control_variant
  FROM `${project}.${dataset}.events`
  WHERE type IN ('chat.turn.completed', 'feedback.submitted') AND experiment IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY occurred_at) = 1
),
turns AS (
  SELECT experiment, variant, COUNT(DISTINCT user_key) AS users, COUNT(*) AS turns
  FROM events
  WHERE type = 'chat.turn.completed'
  GROUP BY experiment, variant
),
last_ratings AS (
  SELECT experiment, variant, satisfaction
  FROM events
  WHERE type = 'feedback.submitted' AND satisfaction IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY turn ORDER BY occurred_at DESC, event_id DESC) = 1
),
ratings AS (
  SELECT experiment, variant, COUNT(*) AS ratings, COUNTIF(satisfaction > 0.5) AS positive
  FROM last_ratings
  GROUP BY experiment, variant
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
    COALESCE(turns.turns, 0) AS turns,
    COALESCE(ratings.ratings, 0) AS ratings,
    COALESCE(ratings.positive, 0) AS positive_ratings,
    SAFE_DIVIDE(ratings.positive, ratings.ratings) AS satisfaction
  FROM turns
  FULL OUTER JOIN ratings USING (experiment, variant)
),
compared AS (
  SELECT
    v.experiment,
    v.variant,
    c.control,
    v.variant = c.control AS is_control,
    v.users,
    v.turns,
    v.ratings,
    v.positive_ratings,
    v.satisfaction,
    v.satisfaction - k.satisfaction AS difference,
    SQRT(
      SAFE_DIVIDE(v.satisfaction * (1 - v.satisfaction), v.ratings)
      + SAFE_DIVIDE(k.satisfaction * (1 - k.satisfaction), k.ratings)
    ) AS standard_error
  FROM variants AS v
  LEFT JOIN controls AS c ON c.experiment = v.experiment
  LEFT JOIN variants AS k ON k.experiment = v.experiment AND k.variant = c.control
)
SELECT
  experiment,
  variant,
  control,
  is_control,
  users,
  turns,
  ratings,
  positive_ratings,
  satisfaction,
  IF(is_control, NULL, difference) AS difference,
  IF(is_control, NULL, difference - 1.96 * standard_error) AS difference_low,
  IF(is_control, NULL, difference + 1.96 * standard_error) AS difference_high
FROM compared
