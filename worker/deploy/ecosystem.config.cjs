// A Kiln GPU worker under pm2: `pm2 start worker/deploy/ecosystem.config.cjs` from the repository root. Settings
// come from the environment pm2 is started with (KILN_URL, KILN_WORKER_TOKEN, COMFYUI_URL, …), as for `npm run
// worker`. pm2 sends SIGINT on stop, which drains like SIGTERM; kill_timeout leaves the 30 s grace period room.
// Exit code 2 is a missing or wrong setting: pm2 does not restart on it.
module.exports = {
  apps: [
    {
      name: "kiln-worker",
      script: "npm",
      args: "run --silent worker -- --log-format json",
      cwd: `${__dirname}/../..`,
      autorestart: true,
      stop_exit_codes: [0, 2],
      kill_timeout: 60_000,
      restart_delay: 5_000,
      max_restarts: 50,
    },
  ],
};
