-- Storage buckets. Both private: files are reached through signed URLs the functions issue, and uploads go to
-- `<owner id>/<job id>/…` paths the functions choose; no client policy is needed on storage.objects.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
  ('outputs', 'outputs', false, 52428800,
   array['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'video/mp4', 'video/webm', 'audio/mpeg', 'audio/wav', 'audio/flac', 'text/plain', 'application/json']),
  ('inputs', 'inputs', false, 20971520, array['image/png', 'image/jpeg', 'image/webp'])
on conflict (id) do nothing;
