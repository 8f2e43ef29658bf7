-- A phase for a job whose prompt waits in ComfyUI's queue. Workers claim each slot's next job while the current one
-- runs and queue its prompt behind it, so the GPU starts it the moment the current one ends; until ComfyUI starts
-- it, the job is running (held, heartbeated) but not executing. started_at is set when it reaches `executing`, so a
-- job's wait (created → started) and run (started → finished) stay true.
alter type public.job_phase add value 'waiting_for_gpu' before 'executing';
