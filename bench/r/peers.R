# Peer forecasts for prescale's accuracy benchmark: R's forecast package (Hyndman et al.).
# Usage: Rscript peers.R JOBS.tsv
# JOBS.tsv columns: history_csv  day_steps  week_steps  horizon  out_csv  [repeats]
#   history_csv: one value per line (NA for gaps), oldest first, native step.
#   week_steps: 0 when the history is shorter than two weeks (no weekly season).
#   repeats (optional, the speed benchmark): how many times to time mstl (default 1).
# Writes out_csv with columns snaive,stlf,mstl (horizon rows) and prints "job seconds" lines:
# job snaive stlf mstl(median) mstl(min).
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
jobs <- read.table(args[1], sep = "\t", header = TRUE, stringsAsFactors = FALSE)
for (i in seq_len(nrow(jobs))) {
  j <- jobs[i, ]
  y <- scan(j$history_csv, quiet = TRUE, na.strings = "NA")
  y <- na.interp(ts(y, frequency = j$day_steps))
  h <- j$horizon
  t0 <- proc.time()[["elapsed"]]
  sn <- as.numeric(snaive(ts(y, frequency = j$day_steps), h = h)$mean)
  t1 <- proc.time()[["elapsed"]]
  st <- as.numeric(stlf(ts(y, frequency = j$day_steps), h = h)$mean)
  t2 <- proc.time()[["elapsed"]]
  periods <- if (j$week_steps > 0) c(j$day_steps, j$week_steps) else j$day_steps
  # Optional column `repeats` (the speed benchmark): time mstl that many times, print median and min.
  reps <- if (!is.null(j$repeats) && !is.na(j$repeats)) max(1, j$repeats) else 1
  times <- numeric(reps)
  for (r in seq_len(reps)) {
    t3 <- proc.time()[["elapsed"]]
    ms <- as.numeric(forecast(mstl(msts(y, seasonal.periods = periods)), h = h)$mean)
    times[r] <- proc.time()[["elapsed"]] - t3
  }
  write.csv(data.frame(snaive = sn, stlf = st, mstl = ms), j$out_csv, row.names = FALSE)
  cat(sprintf("%d %.4f %.4f %.4f %.4f\n", i, t1 - t0, t2 - t1, median(times), min(times)))
}
