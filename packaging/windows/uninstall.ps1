<#
.SYNOPSIS
  Stops and removes the Windows service 'sbc-agent' and the program in %ProgramFiles%\sbc-agent.

.DESCRIPTION
  The state in %ProgramData%\sbc-agent (the agent's key and certificate, configuration, logs) is
  kept, so a reinstall runs with the same identity; -RemoveState deletes it too (the hub admin can
  then revoke the SBC: 'sbc-agent hub revoke-sbc NAME').
#>
#Requires -RunAsAdministrator
[CmdletBinding()]
param(
  [string] $InstallDir = (Join-Path $env:ProgramFiles 'sbc-agent'),
  [switch] $RemoveState
)
$ErrorActionPreference = 'Stop'
$Service = 'sbc-agent'
$Data = Join-Path $env:ProgramData 'sbc-agent'
$Wrapper = Join-Path $InstallDir 'sbc-agent-service.exe'

$existing = Get-Service -Name $Service -ErrorAction SilentlyContinue
if ($existing) {
  if ($existing.Status -ne 'Stopped') {
    & $Wrapper stop
    if ($LASTEXITCODE -ne 0) { throw "'$Wrapper stop' failed ($LASTEXITCODE)" }
  }
  & $Wrapper uninstall
  if ($LASTEXITCODE -ne 0) { throw "'$Wrapper uninstall' failed ($LASTEXITCODE)" }
}

$machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
$kept = ($machinePath -split ';') | Where-Object { $_ -ne '' -and $_ -ne $InstallDir }
[Environment]::SetEnvironmentVariable('Path', ($kept -join ';'), 'Machine')
if (Test-Path $InstallDir) { Remove-Item -Recurse -Force $InstallDir }

if ($RemoveState -and (Test-Path $Data)) {
  Remove-Item -Recurse -Force $Data
  Write-Host "sbc-agent: removed, with its state ($Data)"
} else {
  Write-Host "sbc-agent: removed; its state stays in $Data (-RemoveState deletes it)"
}
