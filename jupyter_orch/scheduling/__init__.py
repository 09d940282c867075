"""When runs happen: cron schedules with time zones and misfire rules, event sources (files, a SQL
value), webhooks, the leader lease that fires them, the reaper of orphaned runs, and the
scheduler that claims queued runs and hands them to run coordinators (headless or in the
server's event loop). ``schedules.py`` is pure arithmetic that ``spec`` uses; the rest drives
runs."""
